"""Every write to characters: create, update, delete and card import."""

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from accounts.media import delete_on_commit, stored_names, storing_image
from accounts.models import User
from characters.cards import MAX_EXTENSIONS_BYTES, MAX_TAG_LENGTH, MAX_TAGS, NAMESPACE, read_card
from characters.models import Character, Tag, Visibility
from imaging import ImageRejected, sanitize_image

PORTRAIT_FIELDS = ("portrait", "portrait_thumbnail")
EDITABLE_FIELDS = ("name", "tagline", "persona", "greeting", "example_dialogue", "visibility", "voice", "extensions")
# Path segments under /api/characters/ and /c/ that a slug must never take.
RESERVED_SLUGS = {"import", "new"}


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated tags; commas inside an entry split it."""
    result: list[str] = []
    for entry in tags:
        for raw in str(entry).split(","):
            tag = " ".join(raw.split()).lower()
            if tag and tag not in result:
                result.append(tag)
    too_long = [tag for tag in result if len(tag) > MAX_TAG_LENGTH]
    if too_long:
        raise ValidationError({"tags": f'The tag "{too_long[0][:50]}" is longer than {MAX_TAG_LENGTH} characters.'})
    if len(result) > MAX_TAGS:
        raise ValidationError({"tags": f"A character has at most {MAX_TAGS} tags; got {len(result)}."})
    return result


def check_extensions(extensions: Any) -> dict:
    """Extensions are a JSON object of bounded size; the platform's own key is not writable here."""
    if not isinstance(extensions, dict):
        raise ValidationError({"extensions": "Extensions must be a JSON object."})
    if NAMESPACE in extensions:
        raise ValidationError({"extensions": f'The "{NAMESPACE}" key is reserved for the platform.'})
    size = len(json.dumps(extensions, ensure_ascii=False).encode())
    if size > MAX_EXTENSIONS_BYTES:
        raise ValidationError({"extensions": f"Extensions take {size:,} bytes; the limit is {MAX_EXTENSIONS_BYTES:,}."})
    return extensions


def check_can_edit(*, character: Character, actor: User) -> None:
    if not actor.is_authenticated or actor.pk != character.owner_id:
        raise PermissionDenied("Only the owner can change or delete this character.")


def slug_candidate(name: str, *, salted: bool) -> str:
    base = slugify(name)[:48].strip("-") or "character"
    if base in RESERVED_SLUGS:
        base = f"{base}-character"
    return f"{base}-{get_random_string(6).lower()}" if salted else base


def next_free_slug(name: str) -> str:
    """The plain slug of the name, else the first free numbered one (seraphina, seraphina-2, ...)."""
    base = slug_candidate(name, salted=False)
    taken = set(Character.objects.filter(slug__regex=rf"^{base}(-[0-9]+)?$").values_list("slug", flat=True))
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def save_new(character: Character) -> None:
    """Insert with a free slug; a concurrent insert of the same slug retries with a salted one."""
    character.slug = next_free_slug(character.name)
    try:
        with transaction.atomic():
            character.save()
    except IntegrityError:
        character.slug = slug_candidate(character.name, salted=True)
        character.save()


def set_tags(character: Character, tags: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=tags)}
    missing = [Tag(name=name) for name in tags if name not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    character.tags.set(Tag.objects.filter(name__in=tags))


def sanitized_portrait(portrait: bytes | None):
    return sanitize_image(portrait) if portrait is not None else None


def create_character(
    *,
    owner: User,
    name: str,
    tagline: str = "",
    persona: str = "",
    greeting: str = "",
    example_dialogue: str = "",
    tags: Iterable[str] = (),
    visibility: str = Visibility.PUBLIC,
    voice: str = "",
    extensions: dict | None = None,
    portrait: bytes | None = None,
    platform_data: dict | None = None,
    card_data: dict | None = None,
) -> Character:
    """Validate everything, then write the portrait files and the row together or not at all.

    Raises ValidationError or imaging.ImageRejected with nothing stored.
    """
    character = Character(
        owner=owner,
        name=name.strip(),
        tagline=tagline.strip(),
        persona=persona,
        greeting=greeting,
        example_dialogue=example_dialogue,
        visibility=visibility,
        voice=voice.strip(),
        extensions=check_extensions(extensions if extensions is not None else {}),
        platform_data=platform_data or {},
        card_data=card_data or {},
    )
    tag_names = normalize_tags(tags)
    character.full_clean(exclude=["slug", *PORTRAIT_FIELDS])
    image = sanitized_portrait(portrait)
    with (
        transaction.atomic(),
        storing_image(character, image_field="portrait", thumbnail_field="portrait_thumbnail", image=image),
    ):
        save_new(character)
        set_tags(character, tag_names)
    return character


def update_character(
    *,
    character: Character,
    actor: User,
    changes: dict[str, Any],
    tags: Iterable[str] | None = None,
    portrait: bytes | None = None,
    remove_portrait: bool = False,
) -> Character:
    """Apply the owner's changes; the stored character stays as it was if anything is refused."""
    check_can_edit(character=character, actor=actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "extensions" in changes:
        check_extensions(changes["extensions"])
    for field, value in changes.items():
        setattr(character, field, value.strip() if field in {"name", "tagline", "voice"} else value)
    tag_names = normalize_tags(tags) if tags is not None else None
    character.full_clean(exclude=list(PORTRAIT_FIELDS))
    image = sanitized_portrait(portrait)
    with (
        transaction.atomic(),
        storing_image(
            character, image_field="portrait", thumbnail_field="portrait_thumbnail", image=image, remove=remove_portrait
        ),
    ):
        character.save()
        if tag_names is not None:
            set_tags(character, tag_names)
    return character


@transaction.atomic
def delete_character(*, character: Character, actor: User) -> None:
    check_can_edit(character=character, actor=actor)
    delete_on_commit(character.portrait.storage, stored_names(character, *PORTRAIT_FIELDS))
    character.delete()


def import_card(*, owner: User, data: bytes) -> Character:
    """Create a character from a card file (PNG, JSON or CHARX).

    Imported characters start private unless the card says otherwise, so a creator can look
    them over before sharing. Raises CardError, ValidationError or ImageRejected, storing nothing.
    """
    card = read_card(data)
    fields = card.fields
    try:
        return create_character(
            owner=owner,
            name=fields.name,
            tagline=fields.tagline,
            persona=fields.persona,
            greeting=fields.greeting,
            example_dialogue=fields.example_dialogue,
            tags=fields.tags,
            visibility=fields.visibility or Visibility.PRIVATE,
            voice=fields.voice,
            extensions=fields.extensions,
            portrait=card.portrait,
            platform_data=fields.platform,
            card_data=fields.card_data,
        )
    except ImageRejected as exc:
        raise ImageRejected(exc.code, f"The card's image was refused: {exc}") from exc
