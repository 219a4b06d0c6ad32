"""Import and export SillyTavern-style character cards (V1/V2/V3; JSON, PNG, CHARX).

Framework-free on purpose: the Django app, Celery tasks and tests all call
``read_card``/``write_card`` and share the limits defined in ``limits``.
"""

from .api import read_card, write_card
from .errors import CardError
from .limits import (
    CHARX_MAX_CARD_JSON_BYTES,
    CHARX_MAX_ENTRIES,
    CHARX_MAX_RATIO,
    CHARX_MAX_TOTAL_BYTES,
    FIELD_LIMITS,
    MAX_CARD_BYTES,
    MAX_EXTENSIONS_BYTES,
    MAX_IMAGE_SIDE,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    NAMESPACE,
    VISIBILITIES,
    json_size,
)
from .model import CardFields, ImportedCard
from .schema import build_extensions

__all__ = [
    "CHARX_MAX_CARD_JSON_BYTES",
    "CHARX_MAX_ENTRIES",
    "CHARX_MAX_RATIO",
    "CHARX_MAX_TOTAL_BYTES",
    "FIELD_LIMITS",
    "MAX_CARD_BYTES",
    "MAX_EXTENSIONS_BYTES",
    "MAX_IMAGE_SIDE",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "NAMESPACE",
    "VISIBILITIES",
    "CardError",
    "CardFields",
    "ImportedCard",
    "build_extensions",
    "json_size",
    "read_card",
    "write_card",
]
