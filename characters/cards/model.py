"""Plain data classes shared by import and export (no Django here)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CardFields:
    """The platform's view of a character, what import produces and export consumes.

    Everything the platform does not model lives in ``extensions``,
    ``platform`` or ``card_data`` so an import -> export round trip loses
    nothing a creator wrote.
    """

    name: str
    tagline: str = ""
    persona: str = ""  # card: description
    greeting: str = ""  # card: first_mes
    example_dialogue: str = ""  # card: mes_example
    tags: list[str] = field(default_factory=list)
    voice: str = ""
    visibility: str | None = None  # extensions.marionette.visibility when valid
    extensions: dict = field(default_factory=dict)  # data.extensions minus "marionette"
    platform: dict = field(default_factory=dict)  # extensions.marionette minus mapped keys
    face_rig: dict | None = None  # extensions.marionette.face_rig, unchecked here: the importer fits it to the portrait
    card_data: dict = field(default_factory=dict)  # every other key of data, kept for export


@dataclass
class ImportedCard:
    """What ``read_card`` found: the spec and container it came in, and the character."""

    spec: str  # "v1" | "v2" | "v3"
    container: str  # "json" | "png" | "charx"
    fields: CardFields
    portrait: bytes | None  # PNG file itself, CHARX icon bytes, or None for JSON
