"""Reads of characters: what each viewer may see, search, and card export."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from characters.cards import CardFields, write_card
from characters.models import Character, Tag, Visibility
from engine.rig import HANDLE_HELP, Rig, RigError
from moderation.models import ModerationState

CARD_CONTENT_TYPES = {"json": "application/json", "png": "image/png", "charx": "application/zip"}


def with_related(characters: QuerySet[Character]) -> QuerySet[Character]:
    """Fetch owners and tags with the page, so a list costs a constant number of queries."""
    return characters.select_related("owner").prefetch_related("tags")


def visible_characters(*, viewer: User) -> QuerySet[Character]:
    """What the viewer may open by link: public or unlisted and not held by moderation, their own, or all for staff."""
    characters = Character.objects.all()
    if viewer.is_authenticated and viewer.is_staff:
        return characters
    shared = ~Q(visibility=Visibility.PRIVATE) & Q(moderation_state=ModerationState.VISIBLE)
    if viewer.is_authenticated:
        return characters.filter(shared | Q(owner=viewer))
    return characters.filter(shared)


def portrait_readable(*, name: str, viewer: User) -> bool:
    """A portrait or its thumbnail is fetched by whoever may open its character: private and held ones stay the owner's."""
    return visible_characters(viewer=viewer).filter(Q(portrait=name) | Q(portrait_thumbnail=name)).exists()


def search_characters(*, viewer: User, query: str = "", tag: str = "", owner: User | None = None) -> QuerySet[Character]:
    """Listed characters: public ones, or a creator's own characters when they look at their own list."""
    if owner is not None and viewer.is_authenticated and viewer.pk == owner.pk:
        characters = Character.objects.filter(owner=owner)
    else:
        characters = Character.objects.filter(visibility=Visibility.PUBLIC, moderation_state=ModerationState.VISIBLE)
        if owner is not None:
            characters = characters.filter(owner=owner)
    query = query.strip()
    if query:
        characters = characters.filter(Q(name__icontains=query) | Q(tagline__icontains=query) | Q(persona__icontains=query))
    tag = tag.strip().lower()
    if tag:
        characters = characters.filter(tags__name=tag)
    return with_related(characters)


def character_for_viewer(*, slug: str, viewer: User) -> Character | None:
    return with_related(visible_characters(viewer=viewer)).filter(slug=slug).first()


def card_fields(character: Character) -> CardFields:
    return CardFields(
        name=character.name,
        tagline=character.tagline,
        persona=character.persona,
        greeting=character.greeting,
        example_dialogue=character.example_dialogue,
        tags=[tag.name for tag in character.tags.all()],
        voice=character.voice,
        visibility=character.visibility,
        extensions=character.extensions,
        platform=character.platform_data,
        face_rig=character.face_rig,
        card_data=character.card_data,
    )


@dataclass(frozen=True)
class CardFile:
    content: bytes
    filename: str
    content_type: str


def export_card(*, character: Character, spec: str, container: str) -> CardFile:
    """The character as a card file; raises CardError for combinations the specs don't allow."""
    portrait = None
    if character.portrait:
        with character.portrait.open("rb") as file:
            portrait = file.read()
    content = write_card(
        card_fields(character),
        spec=spec,
        container=container,
        portrait=portrait,
        creator=character.owner.username,
        created_at=int(character.created_at.timestamp()),
        modified_at=int(character.updated_at.timestamp()),
    )
    filename = f"{character.slug}.charx" if container == "charx" else f"{character.slug}.{spec}.{container}"
    return CardFile(content=content, filename=filename, content_type=CARD_CONTENT_TYPES[container])


def face_rig(*, character: Character) -> Rig | None:
    """The rig of the character's current portrait; None without a portrait, or for one too small to animate."""
    if not character.portrait or character.face_rig is None:
        return None
    try:
        return Rig.from_dict(character.face_rig)
    except RigError:
        return None  # stored by an older rig format: treated as missing until the portrait is rigged again


def rig_needs_placing(*, character: Character) -> bool:
    """The portrait's rig is only a guess (no detector found the face): its creator must place the points before clips."""
    rig = face_rig(character=character)
    return rig is not None and not rig.trusted


@dataclass(frozen=True)
class FaceRigDisplay:
    """What the rig editor and the rig endpoint show: the rig, its draggable handles, and the portrait under them."""

    rig: dict[str, Any]
    source: str
    width: int
    height: int
    handles: dict[str, list[list[float]]]
    handle_help: dict[str, str]
    portrait: str


def face_rig_display(*, character: Character) -> FaceRigDisplay | None:
    rig = face_rig(character=character)
    if rig is None:
        return None
    return FaceRigDisplay(
        rig=rig.to_dict(),
        source=rig.source,
        width=rig.width,
        height=rig.height,
        handles=rig.handles(),
        handle_help=dict(HANDLE_HELP),
        portrait=character.portrait.url,
    )


def popular_tags(*, limit: int = 30) -> QuerySet[Tag]:
    """Tags with the most public characters, for the browse page."""
    public = Q(characters__visibility=Visibility.PUBLIC, characters__moderation_state=ModerationState.VISIBLE)
    return Tag.objects.annotate(uses=Count("characters", filter=public)).filter(uses__gt=0).order_by("-uses", "name")[:limit]
