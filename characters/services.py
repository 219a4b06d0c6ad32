"""Every write to characters: create, update, delete and card import."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from accounts.media import delete_on_commit, stored_names, storing_image
from accounts.models import User
from characters.cards import (
    MAX_EXTENSIONS_BYTES,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    NAMESPACE,
    CardFields,
    build_extensions,
    json_size,
    read_card,
)
from characters.models import Character, Tag, Visibility
from imaging import ImageRejected, sanitize_image
from moderation import services as moderation
from storable import json_problem, text_problem

PORTRAIT_FIELDS = ("portrait", "portrait_thumbnail")
SCREENED_FIELDS = ("name", "tagline", "persona", "greeting", "example_dialogue")
EDITABLE_FIELDS = ("name", "tagline", "persona", "greeting", "example_dialogue", "visibility", "voice", "extensions")
SLUG_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated tags; commas inside an entry split it.

    Stops at the first tag past the limit, so a flood of tags costs no more than the limit.
    """
    result: dict[str, None] = {}
    for entry in tags:
        for raw in str(entry).split(","):
            tag = " ".join(raw.split()).lower()
            if not tag or tag in result:
                continue
            if len(result) == MAX_TAGS:
                raise ValidationError({"tags": f"A character has at most {MAX_TAGS} tags."})
            if len(tag) > MAX_TAG_LENGTH:
                raise ValidationError({"tags": f'The tag "{tag[:50]}" is longer than {MAX_TAG_LENGTH} characters.'})
            problem = text_problem(tag)
            if problem:
                raise ValidationError({"tags": f"A tag {problem}."})
            result[tag] = None
    return list(result)


def check_extensions(character: Character) -> None:
    """Extensions are a JSON object whose exported form fits the card limit; the platform's key is not writable here."""
    extensions = character.extensions
    if not isinstance(extensions, dict):
        raise ValidationError({"extensions": "Extensions must be a JSON object."})
    if NAMESPACE in extensions:
        raise ValidationError({"extensions": f'The "{NAMESPACE}" key is reserved for the platform.'})
    problem = json_problem(extensions)
    if problem:
        raise ValidationError({"extensions": f"The extensions {problem}."})
    exported = build_extensions(
        CardFields(
            name=character.name,
            tagline=character.tagline,
            voice=character.voice,
            visibility=character.visibility,
            extensions=extensions,
            platform=character.platform_data,
        )
    )
    size = json_size(exported)
    if size > MAX_EXTENSIONS_BYTES:
        raise ValidationError({"extensions": f"Extensions take {size:,} bytes in a card; the limit is {MAX_EXTENSIONS_BYTES:,}."})


def check_can_edit(*, character: Character, actor: User) -> None:
    if not actor.is_authenticated or actor.pk != character.owner_id:
        raise PermissionDenied("Only the owner can change or delete this character.")


def new_slug(name: str) -> str:
    """The name's slug with a random suffix (seraphina-k3x9qa).

    Always suffixed: numbering (seraphina-2) would tell anyone that a private character with
    that name exists, and the suffix never collides with the routes beside the slugs.
    """
    base = slugify(name)[:48].strip("-") or "character"
    while True:
        slug = f"{base}-{get_random_string(6, SLUG_SUFFIX_ALPHABET)}"
        if not Character.objects.filter(slug=slug).exists():
            return slug


def set_tags(character: Character, tags: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=tags)}
    missing = [Tag(name=name) for name in tags if name not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    character.tags.set(Tag.objects.filter(name__in=tags))


def sanitized_portrait(portrait: bytes | None):
    return sanitize_image(portrait) if portrait is not None else None


def screen(character: Character, portrait: bytes | None, attested_own_likeness: bool) -> moderation.Screening:
    """Run the moderation checks on the character's text and new portrait, and set its state.

    Raises moderation's ContentBlocked before anything is stored.
    """
    screening = moderation.screen(
        text_fields={name: getattr(character, name) for name in SCREENED_FIELDS},
        portrait=portrait,
        attested_own_likeness=attested_own_likeness,
    )
    moderation.apply_screening(character, screening)
    return screening


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
    attested_own_likeness: bool = False,
    platform_data: dict | None = None,
    card_data: dict | None = None,
) -> Character:
    """Validate everything, then write the portrait files and the row together or not at all.

    Raises ValidationError, imaging.ImageRejected or moderation's ContentBlocked with nothing stored;
    content the checks are unsure of is saved but held for review.
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
        extensions=extensions if extensions is not None else {},
        platform_data=platform_data or {},
        card_data=card_data or {},
    )
    check_extensions(character)
    tag_names = normalize_tags(tags)
    character.full_clean(exclude=["slug", *PORTRAIT_FIELDS])
    image = sanitized_portrait(portrait)
    screening = screen(character, portrait, attested_own_likeness)
    with (
        transaction.atomic(),
        storing_image(character, image_field="portrait", thumbnail_field="portrait_thumbnail", image=image),
    ):
        character.slug = new_slug(character.name)
        character.save()
        set_tags(character, tag_names)
        moderation.record_screening(item=character, screening=screening)
    return character


def update_character(
    *,
    character: Character,
    actor: User,
    changes: dict[str, Any],
    tags: Iterable[str] | None = None,
    portrait: bytes | None = None,
    remove_portrait: bool = False,
    attested_own_likeness: bool = False,
) -> Character:
    """Apply the owner's changes; the stored character stays as it was if anything is refused."""
    check_can_edit(character=character, actor=actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    for field, value in changes.items():
        setattr(character, field, value.strip() if field in {"name", "tagline", "voice"} else value)
    check_extensions(character)
    tag_names = normalize_tags(tags) if tags is not None else None
    character.full_clean(exclude=list(PORTRAIT_FIELDS))
    image = sanitized_portrait(portrait)
    screening = screen(character, portrait, attested_own_likeness)
    with (
        transaction.atomic(),
        storing_image(
            character, image_field="portrait", thumbnail_field="portrait_thumbnail", image=image, remove=remove_portrait
        ),
    ):
        character.save()
        if tag_names is not None:
            set_tags(character, tag_names)
        moderation.record_screening(item=character, screening=screening)
    return character


@transaction.atomic
def delete_character(*, character: Character, actor: User) -> None:
    check_can_edit(character=character, actor=actor)
    delete_on_commit(character.portrait.storage, stored_names(character, *PORTRAIT_FIELDS))
    character.delete()


def import_card(*, owner: User, data: bytes) -> Character:
    """Create a character from a card file (PNG, JSON or CHARX).

    Imported characters always start private, whatever the card says, so a creator looks them
    over before sharing. Raises CardError, ValidationError or ImageRejected, storing nothing.
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
            visibility=Visibility.PRIVATE,
            voice=fields.voice,
            extensions=fields.extensions,
            portrait=card.portrait,
            platform_data=fields.platform,
            card_data=fields.card_data,
        )
    except ImageRejected as exc:
        raise ImageRejected(exc.code, f"The card's image was refused: {exc}") from exc
