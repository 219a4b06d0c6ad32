"""Every write to characters: create, update, delete, card import, and the face rig."""

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from PIL import Image

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
from characters.models import Character, Tag, Visibility, tag_name_problem
from common.media import delete_on_commit, stored_names, storing_image
from engine.rig import Rig, RigError, detect_rig
from imaging import ImageRejected, SanitizedImage, sanitize_image
from moderation import services as moderation
from storable import json_problem, text_problem

PORTRAIT_FIELDS = ("portrait", "portrait_thumbnail")
SCREENED_FIELDS = ("name", "tagline", "persona", "greeting", "example_dialogue")
EDITABLE_FIELDS = ("name", "tagline", "persona", "greeting", "example_dialogue", "visibility", "voice", "extensions")
SLUG_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# A card's rig is rescaled to the stored portrait when their aspect ratios differ by at most this much.
RIG_ASPECT_TOLERANCE = 0.01
NO_PORTRAIT_FOR_RIG = "Add a portrait first: the face rig is placed on the character's portrait."


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
                raise ValidationError({"tags": f"At most {MAX_TAGS} tags, please."})
            if len(tag) > MAX_TAG_LENGTH:
                raise ValidationError({"tags": f'The tag "{tag[:50]}" is longer than {MAX_TAG_LENGTH} characters.'})
            problem = text_problem(tag)
            if problem:
                raise ValidationError({"tags": f"A tag {problem}."})
            problem = tag_name_problem(tag)
            if problem:
                raise ValidationError({"tags": f'The tag "{tag[:50]}" {problem}.'})
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
            face_rig=character.face_rig,
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


def set_tags(item: Any, tags: list[str]) -> None:
    """Give a tagged item (a character, a post) exactly these tags, creating the new ones."""
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=tags)}
    missing = [Tag(name=name) for name in tags if name not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    item.tags.set(Tag.objects.filter(name__in=tags))


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


def detect_portrait_rig(jpeg: bytes) -> Rig:
    """Detect the rig of a stored portrait (our own sanitized JPEG, so decoding it is safe); RigError if too small to animate."""
    with Image.open(io.BytesIO(jpeg)) as image:
        pixels = np.asarray(image.convert("RGB"))
    return detect_rig(pixels)


def fitted_card_rig(offered: dict | None, width: int, height: int) -> Rig | None:
    """A card's rig placed on the stored portrait, or None when it is invalid or made for another picture.

    The card is untrusted, so Rig.from_dict checks every field and the layout; a rig made for the
    same picture at another size (the stored portrait is downscaled) is rescaled and checked again.
    """
    if offered is None:
        return None
    try:
        rig = Rig.from_dict(offered)
        if (rig.width, rig.height) == (width, height):
            return rig
        aspect, card_aspect = width / height, rig.width / rig.height
        if abs(card_aspect - aspect) <= RIG_ASPECT_TOLERANCE * aspect:
            return Rig.from_dict(rig.scaled(width, height).to_dict())
    except RigError:
        pass
    return None


def new_portrait_rig(image: SanitizedImage, card_rig: dict | None = None) -> dict | None:
    """The rig stored with a new portrait: the card's when it fits, else detection's; None for a portrait too small to animate."""
    rig = fitted_card_rig(card_rig, image.width, image.height)
    if rig is None:
        try:
            rig = detect_portrait_rig(image.image)
        except RigError:
            return None
    return rig.to_dict()


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
    card_face_rig: dict | None = None,
) -> Character:
    """Validate everything, then write the portrait files and the row together or not at all.

    Raises ValidationError, imaging.ImageRejected or moderation's ContentBlocked with nothing stored;
    content the checks are unsure of is saved but held for review. A portrait gets its face rig:
    card_face_rig (from an imported card) when it fits the portrait, else a detected one.
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
    character.face_rig = new_portrait_rig(image, card_face_rig) if image is not None else None
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
    if image is not None:
        character.face_rig = new_portrait_rig(image)
    elif remove_portrait:
        character.face_rig = None
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
            card_face_rig=fields.face_rig,
        )
    except ImageRejected as exc:
        raise ImageRejected(exc.code, f"The card's image was refused: {exc}") from exc


def portrait_size(character: Character) -> tuple[int, int]:
    """Width and height of the stored portrait, which every rig of the character is measured on."""
    if not character.portrait:
        raise ValidationError(NO_PORTRAIT_FOR_RIG)
    return character.portrait.width, character.portrait.height


def save_face_rig(character: Character, rig: Rig) -> None:
    character.face_rig = rig.to_dict()
    character.save(update_fields=["face_rig", "updated_at"])


def set_face_rig(*, character: Character, actor: User, handles: Any) -> Rig:
    """Save the rig the creator placed in the editor; the layout is checked on the stored portrait.

    Raises PermissionDenied for anyone but the owner, ValidationError (with the rig's own message,
    under "handles") for impossible layouts or a character without a portrait.
    """
    check_can_edit(character=character, actor=actor)
    width, height = portrait_size(character)
    try:
        rig = Rig.from_handles(handles, width, height)
    except RigError as exc:
        raise ValidationError({"handles": str(exc)}) from None
    save_face_rig(character, rig)
    return rig


def reset_face_rig(*, character: Character, actor: User) -> Rig:
    """Throw away the creator's rig and detect one on the portrait again."""
    check_can_edit(character=character, actor=actor)
    if not character.portrait:
        raise ValidationError(NO_PORTRAIT_FOR_RIG)
    with character.portrait.open("rb") as file:
        portrait = file.read()
    try:
        rig = detect_portrait_rig(portrait)
    except RigError as exc:
        raise ValidationError(str(exc)) from None
    save_face_rig(character, rig)
    return rig
