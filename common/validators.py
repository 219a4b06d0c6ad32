"""Model validators that keep unstorable text and JSON out of the database with a clear 400."""

from typing import Any

from django.core.exceptions import ValidationError

from storable import json_problem, text_problem


def validate_storable_text(value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ValidationError(f"The text {problem}.", code="unstorable")


def validate_storable_json(value: Any) -> None:
    problem = json_problem(value)
    if problem:
        raise ValidationError(f"The value {problem}.", code="unstorable")
