"""Reading an upload: pixels plus the metadata the platform strips when it normalizes images.

The check runs on the original bytes because camera EXIF (make, model, exposure) is the
cheapest strong evidence of a photograph, and it is gone once the upload is re-encoded.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import ExifTags, Image, ImageOps

# Decoding a 24-megapixel JPEG at full size costs ~0.3 s; the statistics use at most 512 px and
# face detection 640 px, so JPEGs are DCT-scaled while decoding to no less than this side.
DECODE_MIN_SIDE = 1024

# EXIF fields that only a camera (or a phone's camera app) writes.
CAMERA_IDENTITY_TAGS = ("Make", "Model", "LensModel", "BodySerialNumber")
EXPOSURE_TAGS = ("ExposureTime", "FNumber", "ISOSpeedRatings", "PhotographicSensitivity", "FocalLength", "ApertureValue")

# Software that draws, paints or renders: its name in EXIF/PNG text is evidence against a photo.
ART_SOFTWARE = re.compile(
    r"krita|clip ?studio|clipstudio|procreate|medibang|paint ?tool ?sai|firealpaca|ibis ?paint|blender|"
    r"cinema ?4d|maya|3ds ?max|daz ?studio|zbrush|unreal|unity|live2d|vroid|aseprite|inkscape|illustrator|"
    r"paint\.net|mspaint|artrage|rebelle|corel ?painter|mypaint|opentoonz|toon ?boom",
    re.IGNORECASE,
)

_TAG_NAMES = ExifTags.TAGS
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class Upload:
    """A decoded upload: RGB pixels, the container format and the metadata that matters here."""

    rgb: np.ndarray
    format: str | None
    exif: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    jpeg_quality: int | None = None
    original_size: tuple[int, int] = (0, 0)


def load_upload(image: Image.Image | bytes, exif: dict | None = None) -> Upload:
    """Decode bytes or take a PIL image, read its metadata, and return upright RGB pixels."""
    opened_here = isinstance(image, bytes | bytearray | memoryview)
    pil = Image.open(io.BytesIO(image)) if opened_here else image
    original_size = pil.size
    image_format = pil.format
    metadata = read_exif(pil)
    if exif:
        metadata.update(normalize_exif(exif))
    text = _text_chunks(pil)
    quality = estimate_jpeg_quality(pil)
    if opened_here and image_format == "JPEG" and min(pil.size) > DECODE_MIN_SIDE:  # never alter a caller's image
        pil.draft("RGB", (DECODE_MIN_SIDE, DECODE_MIN_SIDE))
    pil = ImageOps.exif_transpose(pil)
    rgb = np.asarray(to_rgb(pil))
    return Upload(rgb=rgb, format=image_format, exif=metadata, text=text, jpeg_quality=quality, original_size=original_size)


def to_rgb(pil: Image.Image) -> Image.Image:
    """RGB pixels; transparency is flattened onto white, as the platform's normalizer does."""
    if getattr(pil, "is_animated", False):
        pil.seek(0)
    if pil.mode in ("RGBA", "LA", "PA") or (pil.mode == "P" and "transparency" in pil.info):
        rgba = pil.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return pil.convert("RGB")


def read_exif(pil: Image.Image) -> dict[str, str]:
    """EXIF of the image as {tag name: text}, including the Exif sub-IFD where exposure lives."""
    try:
        exif = pil.getexif()
        tags = dict(exif.items())
        tags.update(exif.get_ifd(_EXIF_IFD).items())
        if exif.get_ifd(_GPS_IFD):
            tags["GPSInfo"] = "present"
    except Exception:  # malformed EXIF is common and must not fail the check
        return {}
    return normalize_exif(tags)


def normalize_exif(tags: dict) -> dict[str, str]:
    """Tag ids or names → names; values → short printable text; empty values dropped."""
    normalized = {}
    for key, value in tags.items():
        name = _TAG_NAMES.get(key, str(key)) if isinstance(key, int) else str(key)
        text = _as_text(value)
        if text:
            normalized[name] = text
    return normalized


def _as_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, dict | tuple | list) and not value:
        return ""
    return str(value).replace("\x00", "").strip()[:200]


def camera_fields(exif: dict[str, str]) -> dict[str, str]:
    """The EXIF fields that identify a camera or record an exposure."""
    return {name: exif[name] for name in (*CAMERA_IDENTITY_TAGS, *EXPOSURE_TAGS) if name in exif}


def camera_name(exif: dict[str, str]) -> str | None:
    """'Canon EOS 80D' style name from Make/Model, without repeating the make."""
    make = exif.get("Make", "").strip()
    model = exif.get("Model", "").strip()
    if model and make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part) or None


def art_software(exif: dict[str, str], text: dict[str, str]) -> str | None:
    """Name of drawing/rendering software recorded in the file, if any."""
    for value in (exif.get("Software", ""), text.get("Software", ""), text.get("software", "")):
        match = ART_SOFTWARE.search(value)
        if match:
            return value
    return None


def _text_chunks(pil: Image.Image) -> dict[str, str]:
    """PNG tEXt/iTXt entries that name software (large ones such as character cards are skipped)."""
    return {str(key): value[:200] for key, value in pil.info.items() if isinstance(value, str) and len(value) < 2000}


def estimate_jpeg_quality(pil: Image.Image) -> int | None:
    """IJG quality (1-100) that would produce the luminance quantization table, for the preview."""
    tables = getattr(pil, "quantization", None)
    if not tables or 0 not in tables:
        return None
    table = np.asarray(tables[0], dtype=float)
    scale = float(np.mean(table / _IJG_LUMINANCE)) * 100
    quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
    return int(np.clip(round(quality), 1, 100))


# The standard luminance table of the IJG library at quality 50, in the natural order Pillow reports.
_IJG_LUMINANCE = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
     100, 103, 99],
    dtype=float,
)  # fmt: skip
