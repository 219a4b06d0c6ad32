"""Every write to accounts: sign-up, tokens and profile edits."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts import names
from accounts.models import User
from common.media import storing_image
from imaging import sanitize_image
from moderation import services as moderation

AVATAR_FIELDS = ("avatar", "avatar_thumbnail")


@transaction.atomic
def sign_up(*, username: str, email: str, password: str) -> User:
    """Create an account after Django's password validators accept the password."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    problem = names.username_problem(username)
    if problem:
        raise ValidationError({"username": problem})
    if User.objects.filter(username_skeleton=names.username_skeleton(username)).exists():
        raise ValidationError({"username": "That username looks too much like an existing one; choose another."})
    user = User(username=username, email=email)
    user.full_clean(exclude=["password"])
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


def issue_token(*, user: User) -> Token:
    """The user's API token, created on first request."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def revoke_token(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


def update_profile(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    avatar: bytes | None = None,
    remove_avatar: bool = False,
) -> User:
    """Change the public profile; the avatar is sanitized and the text screened before anything is written.

    Raises imaging.ImageRejected, ContentBlocked or django ValidationError, leaving the stored profile as it was.
    """
    sanitized = sanitize_image(avatar) if avatar is not None else None
    if display_name is not None:
        user.display_name = names.clean_display_name(display_name)
    if bio is not None:
        user.bio = names.clean_bio(bio)
    if display_name is not None or bio is not None:
        moderation.require_clear_text({"display name": user.display_name, "bio": user.bio}, what="Your profile")
    user.full_clean(exclude=["password", *AVATAR_FIELDS])
    with (
        transaction.atomic(),
        storing_image(user, image_field="avatar", thumbnail_field="avatar_thumbnail", image=sanitized, remove=remove_avatar),
    ):
        user.save()
    return user
