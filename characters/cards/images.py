"""Portrait checks and re-encoding with Pillow.

Sizes are checked from the header before any pixel is decoded, so a tiny
file that claims to be 100000x100000 pixels cannot exhaust memory.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

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
    """Refuse an image Pillow cannot read, one that is too large, or one that is corrupt."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                _check_size(image.size, what)
                image.load()
    except CardError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CardError(f"{what} has too many pixels; the limit is {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}.") from None
    except _PIL_ERRORS:
        raise CardError(f"{what} is corrupt, truncated or not an image Pillow can read.") from None


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


def _check_size(size: tuple[int, int], what: str) -> None:
    width, height = size
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise CardError(f"{what} is {width:,}×{height:,} pixels; the limit is {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}.")


def _png_mode(image: Image.Image) -> Image.Image:
    """Convert to a mode PNG stores well, keeping transparency when there is any."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")
