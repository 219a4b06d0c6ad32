"""Size limits for character cards, in one place.

The Django models and forms import these too, so an imported card can never
hold more than the platform is willing to store or display.
"""

from __future__ import annotations

import json

NAMESPACE = "marionette"
"""Key under ``data.extensions`` where the platform keeps its own fields."""

VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "private")

FIELD_LIMITS: dict[str, int] = {
    "name": 100,
    "tagline": 200,
    "persona": 32_000,
    "greeting": 16_000,
    "example_dialogue": 32_000,
    "voice": 64,
}
"""Maximum length in characters (code points) of each CardFields text field."""

MAX_TAGS = 30
MAX_TAG_LENGTH = 40
MAX_EXTENSIONS_BYTES = 1_000_000
"""Serialized size (compact UTF-8 JSON) of ``data.extensions``."""
MAX_CARD_BYTES = 20_000_000
"""Whole uploaded file, any container."""
MAX_IMAGE_SIDE = 4096
"""Widest/tallest portrait accepted; checked from the header before decoding."""

# CHARX (zip) limits, so a hostile archive cannot exhaust memory or disk.
CHARX_MAX_ENTRIES = 200
CHARX_MAX_TOTAL_BYTES = 50_000_000
CHARX_MAX_RATIO = 100
CHARX_MAX_CARD_JSON_BYTES = 5_000_000
CHARX_RATIO_FLOOR_BYTES = 64 * 1024
"""Entries smaller than this skip the ratio check: they cannot be a bomb, and
tiny deflated files legitimately reach high ratios."""


def json_size(value: object) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON: how extensions are measured."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
