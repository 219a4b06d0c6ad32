"""API-wide error handling: every error is JSON with a `detail` a client can show.

Services raise domain errors (Django's ValidationError, a rejected image, a malformed card);
mapping them here keeps every view thin and every refusal a 4xx, never a 500.
"""

from django.core.exceptions import RequestDataTooBig, ValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from characters.cards import CardError
from feed.services import PostUnavailable
from imaging import ImageRejected
from moderation.services import ContentBlocked, QuotaExceeded


def validation_payload(exc: ValidationError) -> dict:
    """Field errors keep their field names; errors about the whole object go under detail."""
    if hasattr(exc, "error_dict"):
        payload = {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}
        if "__all__" in payload:
            payload["detail"] = " ".join(payload.pop("__all__"))
        else:
            payload["detail"] = " ".join(message for messages in payload.values() for message in messages)
        return payload
    return {"detail": " ".join(exc.messages)}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": str(exc) or "The request is too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, ImageRejected):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, CardError):
        return Response({"detail": str(exc), "code": "invalid_card"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ContentBlocked):
        return Response(
            {"detail": str(exc), "code": "content_blocked", "categories": exc.categories}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, QuotaExceeded):
        return Response({"detail": str(exc), "code": "quota_exceeded"}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    if isinstance(exc, PostUnavailable):
        return Response({"detail": " ".join(exc.messages), "code": "post_unavailable"}, status=status.HTTP_410_GONE)
    if isinstance(exc, ValidationError):
        return Response(validation_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
