"""Store sanitized images in model file fields without leaving orphans behind."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction

from imaging import SanitizedImage


def stored_names(instance: models.Model, *field_names: str) -> list[str]:
    """Names of the stored files behind the given fields (empty fields skipped)."""
    return [getattr(instance, name).name for name in field_names if getattr(instance, name)]


def delete_on_commit(storage: Storage, names: list[str]) -> None:
    """Delete files once the transaction that stopped referring to them has committed."""

    def delete() -> None:
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)


@contextmanager
def storing_image(
    instance: models.Model, *, image_field: str, thumbnail_field: str, image: SanitizedImage | None, remove: bool = False
) -> Iterator[None]:
    """Write an image and its thumbnail (or, with remove and no image, empty both) for the block's save.

    If the block fails, new files are deleted again; once the transaction commits, the files
    replaced or removed are deleted. Either way no file is left without a row, nor a row
    without its file.
    """
    fields = (image_field, thumbnail_field)
    storage = getattr(instance, image_field).storage
    if image is None:
        removed = stored_names(instance, *fields) if remove else []
        for name in fields if remove else ():
            setattr(instance, name, "")
        yield
        delete_on_commit(storage, removed)
        return
    replaced = stored_names(instance, *fields)
    stem = uuid.uuid4().hex
    getattr(instance, image_field).save(f"{stem}.jpg", ContentFile(image.image), save=False)
    getattr(instance, thumbnail_field).save(f"{stem}.jpg", ContentFile(image.thumbnail), save=False)
    try:
        yield
    except BaseException:
        for name in stored_names(instance, *fields):
            storage.delete(name)
        raise
    delete_on_commit(storage, replaced)
