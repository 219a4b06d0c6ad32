"""Reads of accounts."""

import re

from django.db.models import Q, QuerySet
from rest_framework.authtoken.models import Token

from accounts.models import User

TOKEN_KEY = re.compile(r"[0-9a-f]{40}")  # what rest_framework.authtoken generates


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def avatar_readable(*, name: str, viewer: User) -> bool:
    """Avatars are as public as profiles: anyone's while the account is active, staff's afterwards."""
    users = User.objects.all() if viewer.is_authenticated and viewer.is_staff else active_users()
    return users.filter(Q(avatar=name) | Q(avatar_thumbnail=name)).exists()


def user_for_token(key: str) -> User | None:
    """The active user behind an API token, for clients that cannot send a session cookie."""
    if not TOKEN_KEY.fullmatch(key):  # also keeps NUL and other junk away from the database
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None
