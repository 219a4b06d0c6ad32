"""Reads of accounts."""

from django.db.models import QuerySet

from accounts.models import User


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)
