"""Portrait checks (the upload rules of `imaging`) and re-encoding of stored portraits as PNG."""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from imaging import ImageRejected, verify_image

from .errors import CardError
from .limits import MAX_IMAGE_SIDE

_PIL_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    OSError,
    ValueError,
    SyntaxError,  # some Pillow plugins raise it for malformed headers
    EOFError,
    struct.error,
    Image.DecompressionBombWarning,  # raised as an error inside our catch_warnings
)


def check_image(data: bytes, what: str) -> None:
    """Refuse a portrait the platform would refuse as an upload, before it reaches any decoder."""
    try:
        verify_image(data, max_dimension=MAX_IMAGE_SIDE)
    except ImageRejected as exc:
        raise CardError(f"{what} was refused: {exc}") from None


def to_png(data: bytes) -> bytes:
    """Re-encode a stored portrait (any Pillow format) as a clean PNG.

    Orientation from EXIF is applied, oversized images are scaled down to
    what import accepts, and no metadata (old card chunks included) survives.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
                image = _png_mode(image)
                out = io.BytesIO()
                image.save(out, format="PNG")
    except _PIL_ERRORS:
        raise CardError("The portrait is not an image that can be exported.") from None
    return out.getvalue()


def _png_mode(image: Image.Image) -> Image.Image:
    """Convert to a mode PNG stores well, keeping transparency when there is any."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")
