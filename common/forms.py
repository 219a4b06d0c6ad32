"""Showing a service's refusal on an HTML form or page, whatever kind of refusal it is."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from common.errors import ApplicationError

# What a page catches around a service call to show it as a message instead of an error page.
REFUSALS = (ApplicationError, ValidationError, PermissionDenied)


def refusal_messages(exc: Exception) -> list[str]:
    """The sentences of a refusal, for a page's messages or a form's errors."""
    return list(exc.messages) if isinstance(exc, ValidationError | ApplicationError) else [str(exc)]


def add_service_error(form: forms.Form, exc: Exception, *, field: str | None = None) -> None:
    """Show a service's refusal on the form: on its own field where the form has one, else on `field`."""
    if isinstance(exc, forms.ValidationError) and hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
        form.add_error(None, exc)
        return
    form.add_error(field, " ".join(refusal_messages(exc)))
