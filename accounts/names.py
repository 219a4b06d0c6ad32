"""Names and profile text other people see: nothing invisible or direction-flipping, no username that passes for another.

A display name with a right-to-left override or zero-width characters reads differently from what it
is; a username in mixed scripts ("pаypal" with a Cyrillic а) or one whose letters only look like an
existing name's ("adm1n", "rnarionette") impersonates. The skeleton maps look-alikes to one form, so
two names with the same skeleton cannot both exist.
"""

import re
import unicodedata

from confusable_homoglyphs import categories, confusables

from moderation.text.normalize import CONFUSABLES, LEET

KEEP_IN_TEXT = frozenset("\n\t")
LOOK_ALIKE_RUNS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
LOOK_ALIKE_CHARS = {"1": "l", "i": "l", "|": "l", "!": "l", "0": "o"}
SEPARATORS = re.compile(r"[._\-+@]")


def _visible(text: str, *, keep: frozenset[str] = frozenset()) -> str:
    """NFC text without control and format characters (bidi overrides and isolates, zero-width), except `keep`."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) not in ("Cc", "Cf"))


def clean_display_name(name: str) -> str:
    """A display name as shown: visible characters only, one space between words."""
    return " ".join(_visible(name).split())


def clean_bio(bio: str) -> str:
    """A bio as shown: visible characters, line breaks and tabs kept."""
    return _visible(bio, keep=KEEP_IN_TEXT).strip()


def username_skeleton(username: str) -> str:
    """The form two look-alike usernames share: case, width, accents, look-alike letters and separators folded."""
    folded = unicodedata.normalize("NFKC", username).casefold()
    letters = []
    for ch in unicodedata.normalize("NFD", folded):
        if unicodedata.category(ch) == "Mn":
            continue
        ch = CONFUSABLES.get(ch, ch)
        letters.append(LOOK_ALIKE_CHARS.get(ch, LEET.get(ch, ch)))
    skeleton = SEPARATORS.sub("", "".join(letters))
    for run, letter in LOOK_ALIKE_RUNS:
        skeleton = skeleton.replace(run, letter)
    return skeleton.replace("i", "l")


def username_problem(username: str) -> str | None:
    """Why a new username is refused on its own (before comparing with others), or None."""
    if _visible(username) != username:
        return "Usernames can't contain invisible or control characters."
    if confusables.is_mixed_script(username, allowed_aliases=["COMMON"]):
        scripts = ", ".join(sorted(a.title() for a in categories.unique_aliases(username) - {"COMMON"}))
        return f"Usernames can't mix letters of different scripts ({scripts})."
    return None
