"""Text normalization for moderation rules: undo the usual obfuscations while remembering where each character came from.

Every normalized string carries an offset map (one index into the original text per character), so a rule that matches the
normalized form can still quote the creator's own words back in its reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Look-alike letters NFKC leaves alone: Cyrillic, Greek, IPA small capitals, a few Latin variants and symbols.
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ь": "b",
    "п": "n", "г": "r", "л": "n", "и": "u", "з": "3", "ч": "4", "д": "d", "ц": "u", "ш": "w", "щ": "w", "я": "r", "ү": "y",
    # Greek
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "θ": "o", "ι": "i", "κ": "k", "λ": "l", "μ": "u",
    "ν": "v", "ξ": "e", "ο": "o", "π": "n", "ρ": "p", "σ": "o", "ς": "s", "τ": "t", "υ": "u", "φ": "o", "χ": "x", "ψ": "w",
    "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin variants and IPA small capitals
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "p",
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l",
    "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
    "ɑ": "a", "ɐ": "a", "ɛ": "e", "ǝ": "e", "ə": "e", "ɩ": "i", "ɾ": "r", "ʋ": "v", "ʃ": "s",
    # Symbols that stand in for letters regardless of leetspeak
    "¢": "c", "©": "c", "®": "r", "€": "e", "£": "l", "¥": "y", "∂": "d", "∆": "a", "∑": "e", "∏": "n", "√": "v",
}  # fmt: skip

# Characters that count as letters when a word mixes them with real letters ("k1ll", "$ex", "@ss", "k!ll").
LEET: dict[str, str] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "+": "t",
}
LEET_SYMBOLS_INSIDE_ONLY = frozenset("!|+")
NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:yo|y/o|yrs?|years?|yr|th|st|nd|rd|am|pm|s|k|m|g|kg|lbs?|ft|cm|mm|min|h|hrs?|d|x|p|gb|mb)?\W*$"
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f\u180e")
SPACE_LIKE = re.compile(r"[\s\-_‐‑‒–—―]+")
SINGLE_LETTER_RUN = re.compile(r"(?<![^\W_])(?:[^\W_][ .,*·•'’`~^/\\:|]{1,3}){2,}[^\W_](?![^\W_])")
SEPARATORS = re.compile(r"[ .,*·•'’`~^/\\:|]")
INSIDE_WORD_PUNCT = re.compile(r"(?<=[^\W\d_])[.'’`´~^·•/|:]+(?=[^\W\d_])")
LONG_RUN = re.compile(r"([^\W\d_])\1{2,}")
REGIONAL_INDICATOR_A = 0x1F1E6


@dataclass(frozen=True)
class Mapped:
    """A normalized string plus, per character, the index of the original character it came from."""

    text: str
    offsets: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span behind a span of this string."""
        if not self.offsets or start >= end:
            return 0, 0
        return self.offsets[start], self.offsets[min(end, len(self.offsets)) - 1] + 1


@dataclass(frozen=True)
class Normalized:
    """The forms rules look at: plain (confusables and marks undone) and leet-decoded variants of it."""

    original: str
    plain: Mapped
    variants: tuple[Mapped, ...]


def _fold_char(ch: str) -> str:
    """One original character as lowercase plain letters: NFKC, marks dropped, look-alikes mapped."""
    if ch in ZERO_WIDTH:
        return ""
    code = ord(ch)
    if REGIONAL_INDICATOR_A <= code <= REGIONAL_INDICATOR_A + 25:
        return chr(ord("a") + code - REGIONAL_INDICATOR_A)
    out = []
    for part in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", ch)):
        category = unicodedata.category(part)
        if category in ("Mn", "Me", "Cf"):
            continue
        lowered = part.lower()
        out.append(CONFUSABLES.get(lowered, lowered))
    return "".join(out)


def _fold(text: str) -> Mapped:
    """Lowercase and undo Unicode obfuscation, keeping offsets; ASCII text takes a shortcut."""
    if text.isascii():
        return Mapped(text.lower(), tuple(range(len(text))))
    chars: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        folded = ch.lower() if ch.isascii() else _fold_char(ch)
        for piece in folded:
            chars.append(piece)
            offsets.append(index)
    return Mapped("".join(chars), tuple(offsets))


def _spread(source: tuple[int, ...], length: int) -> list[int]:
    """Offsets for a replacement of the given length: first and last characters keep the match's ends, the rest in between."""
    if length == 1 or len(source) == 1:
        return [source[0]] * length
    return [source[round(i * (len(source) - 1) / (length - 1))] for i in range(length)]


def _substitute(mapped: Mapped, pattern: re.Pattern[str], replace) -> Mapped:
    """re.sub that keeps offsets: a replacement inherits the offsets of the match it replaces, spread over its length."""
    chars: list[str] = []
    offsets: list[int] = []
    last = 0
    for match in pattern.finditer(mapped.text):
        start, end = match.span()
        chars.append(mapped.text[last:start])
        offsets.extend(mapped.offsets[last:start])
        replacement = replace(match)
        source = mapped.offsets[start:end] or (mapped.offsets[start - 1 : start] if start else (0,))
        chars.append(replacement)
        offsets.extend(_spread(source, len(replacement)) if replacement else [])
        last = end
    if not last:
        return mapped
    chars.append(mapped.text[last:])
    offsets.extend(mapped.offsets[last:])
    return Mapped("".join(chars), tuple(offsets))


def _decode_leet(mapped: Mapped, one: str) -> Mapped:
    """Read digits and symbols as letters inside words that also contain real letters ("k1ll", "s3x", "@ss")."""
    table = dict(LEET, **{"1": one})
    chars = list(mapped.text)
    for match in re.finditer(r"\S+", mapped.text):
        word = match.group()
        if not any(c.isalpha() for c in word) or not any(c in table for c in word) or NUMBER_WITH_UNIT.match(word):
            continue
        for i, c in enumerate(word):
            if c in table and _reads_as_letter(word, i):
                chars[match.start() + i] = table[c]
    return Mapped("".join(chars), mapped.offsets)


def _reads_as_letter(word: str, i: int) -> bool:
    """Whether word[i] is leetspeak for a letter: symbols need letters around them, digits need a letter neighbour."""
    before = word[i - 1] if i else ""
    after = word[i + 1] if i + 1 < len(word) else ""
    c = word[i]
    if c in LEET_SYMBOLS_INSIDE_ONLY:
        return before.isalnum() and after.isalnum()
    if c in "@$":
        return after.isalnum() or after in LEET
    return any(x.isalpha() or x in LEET for x in (before, after) if x)


def _tidy(mapped: Mapped) -> Mapped:
    """Dashes to spaces, punctuation inside words dropped ("k.ill"), letter runs capped at two ("kiiiill" -> "kiill")."""
    mapped = _substitute(mapped, SPACE_LIKE, lambda m: " ")
    mapped = _substitute(mapped, INSIDE_WORD_PUNCT, lambda m: "")
    return _substitute(mapped, LONG_RUN, lambda m: m.group(1) * 2)


def _join_spaced_letters(mapped: Mapped) -> Mapped:
    """Spaced-out single letters joined into a word ("k i l l", "s.e.x" -> "kill", "sex")."""
    return _substitute(mapped, SINGLE_LETTER_RUN, lambda m: SEPARATORS.sub("", m.group()))


def _join_after_article(mapped: Mapped) -> Mapped:
    """Like _join_spaced_letters, but a leading "a" or "i" stays a word of its own ("a b o m b" -> "a bomb")."""

    def joined(match: re.Match[str]) -> str:
        letters = SEPARATORS.sub("", match.group())
        if len(letters) >= 4 and letters[0] in "ai" and match.group()[1:2] == " ":
            return letters[0] + " " + letters[1:]
        return letters

    return _substitute(mapped, SINGLE_LETTER_RUN, joined)


def normalize(text: str) -> Normalized:
    """All forms the rules should see; leet variants are only built when the text has something to decode."""
    folded = _fold(text)
    plain = _tidy(folded)
    bases = [plain]
    if any(c in LEET for c in folded.text):
        bases += [_tidy(_decode_leet(folded, one)) for one in (("i", "l") if "1" in folded.text else ("i",))]
    variants: list[Mapped] = []
    for base in bases:
        forms = [base, _join_spaced_letters(base), _join_after_article(base)] if SINGLE_LETTER_RUN.search(base.text) else [base]
        variants += [form for form in forms if form.text not in (v.text for v in variants)]
    return Normalized(text, plain, tuple(variants))


def decoded_text(text: str) -> str:
    """One readable form for a learned model: confusables and marks undone, leetspeak decoded, spaced letters left apart."""
    folded = _fold(text)
    if any(c in LEET for c in folded.text):
        return _tidy(_decode_leet(folded, "i")).text
    return _tidy(folded).text


def squash_spaces(text: str) -> str:
    """Whitespace collapsed, for quoting fragments back."""
    return re.sub(r"\s+", " ", text).strip()
