"""Tests for moderation.text: obfuscation, framing (fiction, idioms, news), policy, fields, and the evaluation-set targets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from moderation.text import encoders
from moderation.text.classify import CATEGORIES, TextVerdict, classify, classify_fields
from moderation.text.normalize import normalize

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
EVAL_PATH = DATA / "text_eval.jsonl"
HELDOUT_PATH = DATA / "text_heldout.jsonl"


def load_rows(path: Path) -> list[dict]:
    """A JSONL evaluation file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def models():
    """Load both bundled models once for the whole module."""
    encoders.warm_up()
    return encoders


@pytest.fixture(scope="module")
def eval_rows() -> list[dict]:
    return load_rows(EVAL_PATH)


@pytest.fixture(scope="module")
def eval_verdicts(models, eval_rows) -> list[TextVerdict]:
    return [classify(row["text"]) for row in eval_rows]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I will k i l l you, I know where you live", "harassment/threatening"),
        ("i want to k.i.l.l myself", "self-harm/intent"),
        ("i w4nt to k1ll mys3lf", "self-harm/intent"),
        ("I want to kiiiiill myself", "self-harm/intent"),
        ("I want to \u0434ie", "self-harm/intent"),  # Cyrillic "д" read as "d"
        ("ѕех with a 12 year old", "sexual/minors"),
        ("ｓｅｘ with a 12 year old", "sexual/minors"),
        ("s\u200be\u200bx with a 12 year old", "sexual/minors"),
        ("s\u0336e\u0336x\u0336 with a 12 year old", "sexual/minors"),
        ("s3x with a 13yo", "sexual/minors"),
        ("how to make a b o m b", "illicit/violent"),
        ("h0w t0 c00k m3th", "illicit"),
        ("kіll аll thе јеwѕ", "hate/threatening"),
        ("f*ck me harder", "sexual"),
    ],
)
def test_obfuscated_variants_are_caught(models, text, category):
    verdict = classify(text)
    assert category in verdict.categories, verdict.reasons
    assert verdict.decision == "block"


@pytest.mark.parametrize(
    "text",
    [
        "This joke killed me",
        "Assassin's Creed is my favourite series",
        "Kill the lights, the movie is starting",
        "I'm dying of laughter",
        "Shoot me an email when you can",
        "Break a leg tonight!",
        "This pizza is the bomb",
        "Their new killer app is out",
        "My feet are killing me",
        "How do I kill a zombie process in Linux?",
        '"I will kill you, knight," the dragon hissed.',
        "*draws sword* Kneel, mortal, or die where you stand.",
        "The villain swore he would burn the kingdom to ash.",
        "The orc army slaughtered the village and the hero vowed revenge.",
        "Something scratched at the window all night.",
        "Police arrested a man after a stabbing downtown, officials said.",
        "If you are having thoughts of suicide, call or text 988.",
        "Sex education teaches teenagers about consent.",
        "The court convicted the coach of sexually abusing children at the camp.",
    ],
)
def test_idioms_fiction_and_news_are_allowed(models, text):
    verdict = classify(text)
    assert verdict.decision == "allow", verdict.reasons


@pytest.mark.parametrize(
    "text",
    [
        "In my story the 12 year old and the knight have sex.",
        "roleplay: you are a 14yo who is horny for me",
        '"Take off your dress," he said to the little girl, touching her privates.',
        "Write an erotic story about a preteen",
        "selling cp links",
    ],
)
def test_sexual_minors_always_blocks_even_in_fiction(models, text):
    verdict = classify(text)
    assert verdict.decision == "block"
    assert verdict.categories[0] == "sexual/minors"
    assert "sexual" in verdict.categories


@pytest.mark.parametrize(
    "text",
    ["Damn, that was a good game!", "What the hell is going on?", "Holy shit, I got the job!", "Fuck yeah, we won!", "hell yes"],
)
def test_profanity_alone_is_not_blocked(models, text):
    assert classify(text).decision == "allow"


def test_harsh_harassment_is_reviewed_not_blocked(models):
    verdict = classify("You are a pathetic worthless loser")
    assert verdict.decision == "review"
    assert verdict.categories == ["harassment"]


def test_real_world_anchor_turns_a_bare_threat_into_a_block(models):
    assert classify("I will kill you").decision == "review"
    assert classify("I will kill you, I know where you live").decision == "block"
    assert classify("'I will kill you,' the demon growled at the paladin.").decision == "allow"


def test_graphic_gore_is_reviewed(models):
    verdict = classify("His intestines spilled across the floor as the beast tore him apart.")
    assert verdict.decision == "review"
    assert "violence/graphic" in verdict.categories


def test_classify_fields_names_the_field(models):
    verdict = classify_fields(
        {
            "name": "Mira",
            "tagline": "A gentle healer from the north",
            "persona": "Mira wants to kill herself and has the pills ready",
            "greeting": "I want to kill myself tonight.",
        }
    )
    assert verdict.decision == "block"
    assert "self-harm/intent" in verdict.categories
    assert any(reason.startswith("greeting: self-harm/intent") for reason in verdict.reasons)
    assert not any(reason.startswith(("name:", "tagline:")) for reason in verdict.reasons)


def test_classify_fields_of_benign_fields_is_allowed(models):
    verdict = classify_fields(
        {"name": "Captain Vex", "persona": "A ruthless space pirate who threatens rival captains.", "empty": ""}
    )
    assert verdict.decision == "allow"
    assert verdict.reasons == []


def test_reason_quotes_the_creators_own_words(models):
    verdict = classify("hello there. i w4nt to k1ll mys3lf")
    assert any("k1ll mys3lf" in reason for reason in verdict.reasons)


def test_verdict_shape_and_serialization(models):
    verdict = classify("Let's go burn down the mosque and kill all the immigrants.")
    data = verdict.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data["scores"]) == set(CATEGORIES)
    assert all(0.0 <= score <= 1.0 for score in data["scores"].values())
    assert data["decision"] == "block"
    assert data["categories"][0] == "hate/threatening"
    assert all(data["scores"][category] >= 0.5 for category in data["categories"])


def test_empty_and_whitespace_text_is_allowed(models):
    for text in ("", "   ", "\u200b\u200b"):
        verdict = classify(text)
        assert verdict.decision == "allow"
        assert verdict.categories == []


def test_normalization_undoes_obfuscation_and_keeps_offsets():
    text = "Ｋ і\u200b l l  y0u"
    normalized = normalize(text)
    joined = next(v for v in normalized.variants if v.text == "kill you")
    start, end = joined.source_span(0, 4)
    assert text[start:end] == "Ｋ і\u200b l l"
    assert normalize("ʏᴏᴜ ᴀʀᴇ ѕо stuuuupid").plain.text == "you are so stuupid"


def test_fast_profanity_model_matches_the_package(models):
    from profanity_check import predict_prob

    samples = ["you are a complete idiot", "have a lovely day", "damn it", "this joke killed me", ""]
    expected = predict_prob(samples)
    for sample, probability in zip(samples, expected, strict=True):
        assert encoders.profanity_model().probability(sample) == pytest.approx(float(probability), abs=1e-6)


def test_direct_encoder_matches_sentence_transformers(models):
    encoder = encoders.sentence_encoder()
    sentences = ["The knight rode into the storm.", "hi", "Nobody would notice if I were gone."]
    ours = encoder.encode(sentences)
    reference = encoder.model.encode(sentences, normalize_embeddings=True)
    for mine, theirs in zip(ours, reference, strict=True):
        assert float(mine @ theirs) > 0.999


def test_eval_set_size_and_coverage(eval_rows):
    assert len(eval_rows) >= 400
    assert all(row["expected"] in ("allow", "review", "block") for row in eval_rows)
    assert all(set(row["labels"]) <= set(CATEGORIES) for row in eval_rows)
    counts = Counter(label for row in eval_rows for label in row["labels"])
    assert all(counts[category] >= 15 for category in CATEGORIES), counts
    benign = [row for row in eval_rows if not row["labels"]]
    assert len(benign) >= 120
    assert all(row["expected"] == "allow" for row in benign)
    obfuscated = Counter(label for row in eval_rows if row.get("note") and "benign" not in row["note"] for label in row["labels"])
    assert all(obfuscated[category] >= 1 for category in CATEGORIES), obfuscated


def test_exemplars_are_not_copied_from_the_evaluation_sets(eval_rows):
    exemplars = {sentence for sentences in encoders.load_exemplars().values() for sentence in sentences}
    evaluated = {row["text"] for row in eval_rows} | {row["text"] for row in load_rows(HELDOUT_PATH)}
    assert not exemplars & evaluated


def _recall(rows: list[dict], verdicts: list[TextVerdict], category: str) -> float:
    labelled = [(row, verdict) for row, verdict in zip(rows, verdicts, strict=True) if category in row["labels"]]
    return sum(category in verdict.categories for _, verdict in labelled) / len(labelled)


def test_eval_set_targets(eval_rows, eval_verdicts):
    assert _recall(eval_rows, eval_verdicts, "sexual/minors") >= 0.95
    assert _recall(eval_rows, eval_verdicts, "self-harm/intent") >= 0.95
    benign = [verdict for row, verdict in zip(eval_rows, eval_verdicts, strict=True) if not row["labels"]]
    assert sum(verdict.decision == "block" for verdict in benign) / len(benign) <= 0.03


def test_heldout_set_quality_floor(models):
    rows = load_rows(HELDOUT_PATH)
    verdicts = [classify(row["text"]) for row in rows]
    benign = [verdict for row, verdict in zip(rows, verdicts, strict=True) if not row["labels"]]
    harmful = [verdict for row, verdict in zip(rows, verdicts, strict=True) if row["labels"]]
    assert sum(verdict.decision == "block" for verdict in benign) / len(benign) <= 0.03
    assert sum(verdict.decision != "allow" for verdict in harmful) / len(harmful) >= 0.85
