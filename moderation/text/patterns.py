"""Pattern compiler for moderation rules: macros plus tolerance for stretched letters ("kiiill", "sexxx").

Rules are written in the normalized domain (lowercase, apostrophes dropped, dashes as spaces). The compiler lets each single
literal letter stand for a run of that letter, because normalization caps runs at two rather than one: collapsing runs to a
single letter would merge "teen" with "ten" and "ass" with "as".
"""

from __future__ import annotations

import re

GROUP_PREFIX = re.compile(r"\(\?(?:[:=!]|<[=!]|P<\w+>)")
MACRO = re.compile(r"<([A-Z][A-Z0-9_]*)>")
QUANTIFIERS = "?*+{"
VOWELS = "aeiou"  # a masked vowel ("f*ck", "s*x") may stand for any of them


def _class_end(source: str, start: int) -> int:
    """Index just past the character class opening at start."""
    i = start + 1
    if i < len(source) and source[i] == "^":
        i += 1
    if i < len(source) and source[i] == "]":
        i += 1
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1


def stretch(source: str) -> str:
    """Let each unquantified single literal letter match a run of itself (a vowel also "*"); regex syntax is copied untouched."""
    out: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            out.append(source[i : i + 2])
            i += 2
        elif ch == "[":
            end = _class_end(source, i)
            out.append(source[i:end])
            i = end
        elif ch == "(" and (prefix := GROUP_PREFIX.match(source, i)):
            out.append(prefix.group())
            i = prefix.end()
        elif ch == "{":
            end = source.index("}", i) + 1
            out.append(source[i:end])
            i = end
        elif ch.isalpha():
            end = i
            while end < len(source) and source[end] == ch:
                end += 1
            run = end - i
            quantified = end < len(source) and source[end] in QUANTIFIERS
            if run > 1 or quantified:
                out.append(source[i:end])
            else:
                out.append(f"[{ch}*]+" if ch in VOWELS else ch + "+")
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def expand(source: str, macros: dict[str, str]) -> str:
    """Replace <NAME> macros (recursively) with their pattern text."""
    for _ in range(5):
        expanded = MACRO.sub(lambda m: macros[m.group(1)], source)
        if expanded == source:
            return expanded
        source = expanded
    return source


POSSESSIVE_S = re.compile(r"(?<=[a-z]) s(?=[ |)])")


def loosen_possessives(source: str) -> str:
    """Normalization drops apostrophes, so "let's" arrives as "lets" or "let s": a written " s" matches both."""
    return POSSESSIVE_S.sub(" ?s", source)


def compile_rule(source: str, macros: dict[str, str]) -> re.Pattern[str]:
    """A rule pattern ready to run on normalized text: macros expanded, letters stretched, whole words only."""
    return re.compile(r"(?<![a-z0-9])(?:" + stretch(loosen_possessives(expand(source, macros))) + r")(?![a-z0-9])")
