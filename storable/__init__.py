"""Checks that text and JSON can be stored by every supported database and read by other tools.

PostgreSQL refuses NUL characters in text and jsonb, no UTF-8 encoder takes lone surrogates,
JSON has no Infinity or NaN, and deeply nested values overflow parsers elsewhere. Framework-free,
so the card engine and the Django validators share one definition.
"""

import math
from typing import Any

MAX_JSON_DEPTH = 64


def text_problem(text: str) -> str | None:
    """What makes this text unstorable, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an invalid Unicode character (a lone surrogate)"
    return None


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """What makes this parsed JSON value unstorable, or None; walks without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return f"is nested more than {max_depth} levels deep"
        if isinstance(item, str):
            problem = text_problem(item)
        elif isinstance(item, float):
            problem = None if math.isfinite(item) else "contains a number out of range (Infinity or NaN)"
        elif isinstance(item, dict):
            problem = next(filter(None, (text_problem(key) for key in item)), None)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            problem = None
            pending.extend((child, depth + 1) for child in item)
        else:
            problem = None
        if problem:
            return problem
    return None
