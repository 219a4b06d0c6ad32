"""Reads for moderation: the likeness gallery and an item's case."""

from collections.abc import Iterable

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from moderation.models import APPEALABLE_STATES, Appeal, Case, Moderated, ReferencePhoto


def likeness_gallery() -> Iterable[tuple[int, str, np.ndarray]]:
    """(person id, name, embedding) for every reference photo of an active protected person."""
    photos = ReferencePhoto.objects.filter(person__active=True).select_related("person")
    return [(photo.person_id, photo.person.name, np.asarray(photo.embedding, dtype=np.float64)) for photo in photos]


def reference_photo_readable(*, name: str, viewer: AbstractBaseUser | AnonymousUser) -> bool:
    """Protected people's reference photos are for staff only."""
    return bool(getattr(viewer, "is_staff", False)) and ReferencePhoto.objects.filter(image=name).exists()


def case_of(item: Moderated) -> Case | None:
    content_type = ContentType.objects.get_for_model(item)
    return Case.objects.filter(content_type=content_type, object_id=item.pk).first()


def can_appeal(item: Moderated) -> bool:
    """Rejected or taken-down items may be appealed once."""
    if item.moderation_state not in APPEALABLE_STATES:
        return False
    case = case_of(item)
    return case is not None and not Appeal.objects.filter(case=case).exists()
