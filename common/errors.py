"""The one error type every domain refusal derives from, so the API maps refusals to responses in one place.

Framework-free on purpose: the framework-free libraries (cards, imaging) raise it too.
"""

from typing import Any


class ApplicationError(Exception):
    """A refusal the client can act on: a stable machine code, an HTTP status and a message safe to show as is."""

    code = "invalid"
    status = 400
    retry_after: int | None = None  # seconds, for refusals that pass (a full queue); sent as Retry-After

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if retry_after is not None:
            self.retry_after = retry_after

    @property
    def messages(self) -> list[str]:
        """The message as a list, the shape pages already show Django's ValidationError in."""
        return [self.message]

    def payload(self) -> dict[str, Any]:
        """The JSON body of the error response; subclasses add their own fields."""
        payload: dict[str, Any] = {"detail": self.message, "code": self.code}
        if self.retry_after is not None:
            payload["retry_after"] = self.retry_after
        return payload
