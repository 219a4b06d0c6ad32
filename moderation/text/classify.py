"""Text moderation for character content: offline, CPU-only, framework-free.

Three layers, cheapest first:

1. Curated rules (text_rules) over obfuscation-resistant normal forms (text_normalize): they settle most text on their own,
   and they know about framing - fiction, news and idioms - because villains, battles and horror are this platform's business.
2. alt-profanity-check's bundled linear model (encoders.ProfanityModel): a harassment signal, never a verdict on its own.
3. The trained classifier (text_learned): the bundled MiniLM encoder with fitted adapters and heads, run on every text,
   as written and de-obfuscated: it catches the paraphrases, slang and framings no rule lists. Its thresholds were
   set by cross-validation on its own training data, never on the held-out sets.

Policy: block clear real-world harm (sexual content involving minors - always; self-harm intent or instructions; credible
threats; hate aimed at real groups; instructions for weapons, drugs, crime or violence; explicit sexual content);
review the borderline (graphic gore, sexual suggestion, harsh harassment, bare threats with no framing); allow the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moderation.text import encoders, learned
from moderation.text.normalize import Normalized, normalize, squash_spaces
from moderation.text.rules import (
    CATEGORY_PARENTS,
    Framing,
    Hit,
    find_hits,
    read_framing,
)

CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

# Most severe first: the order categories and reasons are listed in.
SEVERITY_ORDER = (
    "sexual/minors",
    "self-harm/intent",
    "self-harm/instructions",
    "hate/threatening",
    "illicit/violent",
    "harassment/threatening",
    "violence",
    "hate",
    "self-harm",
    "sexual",
    "illicit",
    "harassment",
    "violence/graphic",
)
DECISION_RANK = {"allow": 0, "review": 1, "block": 2}
SCORE_FOR = {"block": 0.97, "review": 0.75, "weak": 0.35, "": 0.2}
MAX_CHARS = 20_000
MAX_EMBED_SENTENCES = 8
QUOTE_CHARS = 80

# A category is named by the classifier when its head is at least this sure; otherwise the most likely one is named.
LEARNED_NAMING = 0.5
# Categories whose head blocks at its own threshold, whatever the harmful head says: they must never pass. As in the
# taxonomy, each is a kind of its parent, so the parent's head must at least doubt the text too ("old 1" mentions no
# sex, however much it looks like an age).
NEVER_PASS = ("sexual/minors", "self-harm/intent")
# The policy above reviews rather than blocks harsh harassment, bare threats and gore: the classifier follows it when
# those are all it names (the rules still block a threat with a real-world anchor).
REVIEW_AT_MOST = frozenset({"harassment", "harassment/threatening", "violence/graphic", "violence"})
SECOND_PERSON = re.compile(r"(?<![a-z])(?:you|u|ur|your|youre|ya|yall)(?![a-z])")
HOSTILE_WORDS = re.compile(
    r"(?<![a-z])(?:hate|suck|sucks|stupid|dumb|ugly|trash|garbage|worst|pathetic|loser|disgusting|shut|annoying|cringe|die|"
    r"kill|cunt|bitch|whore|slut|idiot|moron|retard|worthless|useless|freak|creep|pig|fat|shit|piece of|get lost|nobody|no one)"
)
PROFANITY_HARASSMENT = 0.9
SHADOWS_HARASSMENT = frozenset({"sexual", "self-harm/instructions"})


@dataclass(frozen=True)
class TextVerdict:
    """The moderation outcome for one text (or one set of fields)."""

    decision: str
    scores: dict[str, float]
    categories: list[str]
    reasons: list[str]

    def to_dict(self) -> dict:
        """JSON-serializable form, stored with a moderation case."""
        return {
            "decision": self.decision,
            "scores": {category: round(float(self.scores.get(category, 0.0)), 4) for category in CATEGORIES},
            "categories": list(self.categories),
            "reasons": list(self.reasons),
        }


@dataclass
class _Finding:
    """What one category has gathered so far for a text."""

    score: float = 0.0
    decision: str = "allow"
    reasons: list[str] = field(default_factory=list)

    def raise_to(self, decision: str, score: float, reason: str | None = None) -> None:
        """Keep the strongest decision and score; collect distinct reasons."""
        if DECISION_RANK[decision] > DECISION_RANK[self.decision]:
            self.decision = decision
        self.score = max(self.score, score)
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


def _quote(text: str, start: int, end: int) -> str:
    """The original words behind a match, trimmed for a reason line."""
    fragment = squash_spaces(text[start:end])
    return fragment if len(fragment) <= QUOTE_CHARS else fragment[: QUOTE_CHARS - 1] + "…"


def _overlaps(a: Hit, b: Hit) -> bool:
    """Whether two hits cover some of the same original characters."""
    return a.start < b.end and b.start < a.end


def _drop_shadowed(hits: list[Hit]) -> list[Hit]:
    """Harassment hits inside an explicit-sexual or self-harm-instruction hit are the same words, not a second problem."""
    shadowing = [h for h in hits if h.severity and h.rule.category in SHADOWS_HARASSMENT]
    return [h for h in hits if h.rule.category != "harassment" or not any(_overlaps(h, s) for s in shadowing)]


def _apply_hits(findings: dict[str, _Finding], hits: list[Hit], text: str) -> None:
    """Rule hits into per-category findings; weak hits only count when two or more agree."""
    weak: dict[str, list[Hit]] = {}
    for hit in _drop_shadowed(hits):
        category = hit.rule.category
        for extra in hit.rule.also:
            extra_reason = (
                f'{extra}: {hit.rule.why} ("{_quote(text, hit.start, hit.end)}")' if hit.severity in DECISION_RANK else None
            )
            findings[extra].raise_to(
                hit.severity if hit.severity in DECISION_RANK else "allow", SCORE_FOR[hit.severity], extra_reason
            )
        if hit.severity == "weak":
            weak.setdefault(category, []).append(hit)
            findings[category].raise_to("allow", SCORE_FOR["weak"])
            continue
        if not hit.severity:
            findings[category].raise_to("allow", SCORE_FOR[""])
            continue
        reason = f'{category}: {hit.rule.why} ("{_quote(text, hit.start, hit.end)}")'
        findings[category].raise_to(hit.severity, SCORE_FOR[hit.severity], reason)
    for category, group in weak.items():
        spans = {(h.start, h.end) for h in group}
        if len(spans) >= 2:
            first = min(group, key=lambda h: h.start)
            findings[category].raise_to("review", 0.6, f'{category}: {first.rule.why} ("{_quote(text, first.start, first.end)}")')


def _apply_profanity(findings: dict[str, _Finding], normalized: Normalized, framing: Framing, probability: float) -> None:
    """Profanity aimed at "you" alongside hostile words reads as harassment; profanity alone never does."""
    plain = normalized.plain.text
    findings["harassment"].raise_to("allow", round(0.5 * probability, 4))
    if probability < PROFANITY_HARASSMENT or framing.fiction or not SECOND_PERSON.search(plain):
        return
    hostile = [m.group() for m in HOSTILE_WORDS.finditer(plain)]
    if len(hostile) >= 2:
        findings["harassment"].raise_to("review", 0.7, f'harassment: profanity aimed at a person ("{", ".join(hostile[:3])}")')


def _learned_decision(scores: dict[str, float], thresholds: learned.Thresholds) -> str:
    """The harmful head's decision at its cross-validated thresholds."""
    harmful = scores[learned.HARMFUL]
    if harmful >= thresholds.block[learned.HARMFUL]:
        return "block"
    return "review" if harmful >= thresholds.review[learned.HARMFUL] else "allow"


def _learned_findings(findings: dict[str, _Finding], text: str) -> None:
    """The trained classifier's reading, for every text: a decision from the harmful head, named by the category heads."""
    model = learned.classifier()
    scores, reading = model.scores(text)
    for category in CATEGORIES:
        findings[category].raise_to("allow", round(scores[category], 4))
    quoted = _quote(reading, 0, len(reading))
    for category in NEVER_PASS:
        parent = CATEGORY_PARENTS[category]
        if scores[category] >= model.thresholds.block[category] and scores[parent] >= model.thresholds.review[parent]:
            findings[category].raise_to("block", scores[category], f'{category}: the trained classifier reads "{quoted}" so')
    decision = _learned_decision(scores, model.thresholds)
    if decision == "allow":
        return
    named = [c for c in CATEGORIES if scores[c] >= LEARNED_NAMING] or [max(CATEGORIES, key=scores.__getitem__)]
    if set(named) <= REVIEW_AT_MOST:
        decision = "review"
    for category in named:
        reason = f'{category}: the trained classifier reads "{quoted}" so (p={scores[learned.HARMFUL]:.2f})'
        findings[category].raise_to(decision, max(scores[category], scores[learned.HARMFUL]), reason)


def _propagate_parents(findings: dict[str, _Finding]) -> None:
    """A subcategory implies its parent (sexual/minors is sexual), as in the OpenAI moderation taxonomy."""
    for child, parent in CATEGORY_PARENTS.items():
        found = findings[child]
        findings[parent].raise_to(found.decision, found.score)


def _analyze(text: str, use_learned: bool = True) -> dict[str, _Finding]:
    """Per-category findings for one text (without the trained classifier only for the benchmark's ablation)."""
    findings = {category: _Finding() for category in CATEGORIES}
    text = text[:MAX_CHARS]
    if not text.strip():
        return findings
    normalized = normalize(text)
    framing = read_framing(normalized.plain.text)
    _apply_hits(findings, find_hits(normalized, framing), text)
    _apply_profanity(findings, normalized, framing, encoders.profanity_model().probability(normalized.variants[-1].text))
    if use_learned:
        _learned_findings(findings, text)
    if findings["sexual/minors"].decision != "allow":
        findings["sexual/minors"].decision = "block"
    _propagate_parents(findings)
    return findings


def _verdict(findings: dict[str, _Finding]) -> TextVerdict:
    """Findings into a verdict: the strongest decision wins; categories and reasons most severe first."""
    triggered = [c for c in SEVERITY_ORDER if findings[c].decision != "allow"]
    triggered.sort(key=lambda c: -DECISION_RANK[findings[c].decision])
    decision = max((findings[c].decision for c in triggered), key=DECISION_RANK.__getitem__, default="allow")
    reasons = [reason for c in triggered for reason in findings[c].reasons]
    scores = {c: round(min(1.0, max(0.0, findings[c].score)), 4) for c in CATEGORIES}
    return TextVerdict(decision, scores, triggered, reasons)


def classify(text: str, *, use_learned: bool = True) -> TextVerdict:
    """Moderate one text; use_learned=False leaves the trained classifier out (rules and profanity only: an ablation)."""
    return _verdict(_analyze(text or "", use_learned))


def classify_fields(fields: dict[str, str]) -> TextVerdict:
    """Moderate several named fields (name, tagline, persona...) as one verdict; each reason names its field."""
    merged = {category: _Finding() for category in CATEGORIES}
    for name, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            continue
        for category, found in _analyze(value).items():
            target = merged[category]
            target.raise_to(found.decision, found.score)
            target.reasons.extend(f"{name}: {reason}" for reason in found.reasons if f"{name}: {reason}" not in target.reasons)
    return _verdict(merged)
