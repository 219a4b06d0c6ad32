"""Accounts: the platform's user, with the public profile a creator shows."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse

from accounts.names import username_skeleton
from common.validators import validate_storable_text

DISPLAY_NAME_MAX = 60
BIO_MAX = 1000


class User(AbstractUser):
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX, blank=True, validators=[validate_storable_text])
    bio = models.TextField(max_length=BIO_MAX, blank=True, validators=[MaxLengthValidator(BIO_MAX), validate_storable_text])
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    avatar_thumbnail = models.ImageField(upload_to="avatars/thumbs/", blank=True)
    # The username with look-alikes folded (accounts.names): a new name may not share an existing one's.
    username_skeleton = models.CharField(max_length=150, blank=True, db_index=True, editable=False)

    def save(self, *args, **kwargs) -> None:
        self.username_skeleton = username_skeleton(self.username)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        """The name shown on pages: the display name when set, else the username."""
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("profile", kwargs={"username": self.username})
