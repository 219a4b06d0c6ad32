"""Reads of accounts."""

from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from accounts.models import User


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def user_for_token(key: str) -> User | None:
    """The active user behind an API token, for clients that cannot send a session cookie."""
    token = Token.objects.select_related("user").filter(key=key).first() if key else None
    return token.user if token is not None and token.user.is_active else None
