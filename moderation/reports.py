"""One report flow and one appeal flow, for the API and the pages of every moderated item.

Characters, posts and comments only find the item (and 404 or 403 as they do); what is asked, what is
checked and what the user is told afterwards is the same everywhere, so it is said once here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response

from common import ratelimit
from moderation import services
from moderation.forms import AppealForm, ReportForm
from moderation.models import Moderated
from moderation.serializers import AppealSerializer, ReportSerializer


@dataclass(frozen=True)
class Flow:
    """What a user sends about an item, the service that takes it, and the replies."""

    form: type[forms.Form]
    serializer: type[serializers.Serializer]
    submit: Callable[..., object]
    user_argument: str
    done: str
    invalid: str
    limit_scope: str = ""  # a per-user allowance (RATE_LIMITS) the flow spends, if any

    def _spend(self, request: HttpRequest | Request) -> None:
        if self.limit_scope:
            ratelimit.spend_for_user(self.limit_scope, request)

    def _send(self, item: Moderated, user: object, data: dict) -> None:
        self.submit(item=item, **{self.user_argument: user}, **data)

    def respond(self, request: Request, item: Moderated) -> Response:
        """The API: spend the allowance, validate the body, run the service (its refusals go to the API's error handler), 201."""
        try:
            self._spend(request)
        except ratelimit.RateLimited as exc:
            raise Throttled(wait=exc.retry_after) from exc
        serializer = self.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._send(item, request.user, serializer.validated_data)
        return Response({"detail": self.done}, status=status.HTTP_201_CREATED)

    def on_page(self, request: HttpRequest, item: Moderated, *, back: object) -> HttpResponse:
        """A page's form post: run it, say how it went in a message, and go back to the page it came from."""
        try:
            self._spend(request)
        except ratelimit.RateLimited as exc:
            return ratelimit.limited_page(request, exc)
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, self.invalid)
            return redirect(back)
        try:
            self._send(item, request.user, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.done)
        return redirect(back)


REPORT = Flow(
    ReportForm,
    ReportSerializer,
    services.report,
    "reporter",
    "Thank you. A moderator will review it.",
    "Choose a reason for the report.",
    limit_scope="report",
)
APPEAL = Flow(
    AppealForm,
    AppealSerializer,
    services.appeal,
    "owner",
    "Your appeal is with the moderators.",
    "Write a few words for the moderators.",
)
