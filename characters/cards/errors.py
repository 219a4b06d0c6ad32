"""The one exception card import/export raises."""

from __future__ import annotations

from common.errors import ApplicationError


class CardError(ApplicationError, ValueError):
    """A card that cannot be imported (or exported).

    ``str(err)`` is a complete sentence a creator can act on, safe to show in
    the UI as-is; it never contains a traceback or internal names.
    """

    code = "invalid_card"
