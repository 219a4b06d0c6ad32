"""Turn an untrusted uploaded image into a small, metadata-free JPEG and a square thumbnail.

Everything here treats the upload as hostile: the format is sniffed from the bytes (never a
file name), the size the header declares is checked by our own parser before Pillow sees the
data (Pillow's WebP opener allocates the whole canvas as soon as it opens a file), and only the
three formats we accept are ever handed to a Pillow decoder.
"""

import io
import math
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps

from common.errors import ApplicationError

MAX_UPLOAD_BYTES = 10_000_000
MAX_DIMENSION = 4096
NORMALIZED_LONG_SIDE = 1024
THUMBNAIL_SIZE = 256

JPEG_QUALITY = 90
BACKGROUND = (255, 255, 255)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"

# Signatures of formats people often try to upload, so the refusal can say what the file is.
REFUSED_SIGNATURES = (
    (b"GIF87a", "a GIF"),
    (b"GIF89a", "a GIF"),
    (b"BM", "a BMP"),
    (b"II*\x00", "a TIFF"),
    (b"MM\x00*", "a TIFF"),
    (b"\x00\x00\x01\x00", "an ICO icon"),
    (b"8BPS", "a Photoshop file"),
    (b"%PDF", "a PDF"),
    (b"\xff\x0a", "a JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "a JPEG XL"),
)
HEIF_BRANDS = {b"avif": "an AVIF", b"avis": "an AVIF", b"heic": "a HEIC", b"heix": "a HEIC", b"mif1": "a HEIF"}

# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT/JPG/DAC.
JPEG_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})

# What Pillow raises for damaged data; ValueError also covers our own ImageRejected, so that is
# re-raised first wherever these are caught.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


class ImageRejected(ApplicationError, ValueError):
    """str(err) is a message the uploader can act on; .code is a stable machine code.

    Codes: "empty", "too_large", "unsupported_format", "too_many_pixels", "corrupt".
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class SanitizedImage:
    image: bytes  # JPEG, long side at most NORMALIZED_LONG_SIDE
    thumbnail: bytes  # JPEG, square
    width: int
    height: int
    source_format: str  # "PNG" | "JPEG" | "WEBP"


def sanitize_image(
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_dimension: int = MAX_DIMENSION,
    long_side: int = NORMALIZED_LONG_SIDE,
    thumbnail_size: int = THUMBNAIL_SIZE,
) -> SanitizedImage:
    """Check, decode and re-encode an uploaded image; raise ImageRejected if it is unusable.

    All cheap checks (byte size, format, declared pixel size) run before any pixel is decoded.
    """
    decoded, source_format = checked_decode(data, max_bytes=max_bytes, max_dimension=max_dimension)
    image = flatten(orient(decoded))
    normalized = fit_long_side(image, long_side)
    return SanitizedImage(
        image=encode_jpeg(normalized),
        thumbnail=encode_jpeg(square_thumbnail(image, thumbnail_size)),
        width=normalized.width,
        height=normalized.height,
        source_format=source_format,
    )


def verify_image(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, max_dimension: int = MAX_DIMENSION) -> str:
    """Every check of sanitize_image without re-encoding, for callers that only accept or refuse; returns the format."""
    return checked_decode(data, max_bytes=max_bytes, max_dimension=max_dimension)[1]


def checked_decode(data: bytes, *, max_bytes: int, max_dimension: int) -> tuple[Image.Image, str]:
    """Decode only after the cheap checks (byte size, format, declared pixel size) have passed."""
    check_byte_size(data, max_bytes)
    source_format = sniff_format(data)
    check_dimensions(declared_size(data, source_format), max_dimension)
    return decode(data, source_format, max_dimension), source_format


# --- cheap checks on the raw bytes ------------------------------------------------------------


def check_byte_size(data: bytes, max_bytes: int) -> None:
    """Refuse empty and oversized uploads before looking inside them."""
    if not data:
        raise ImageRejected("empty", "The image file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(
            "too_large",
            f"The image is {_megabytes_up(len(data))} MB; the limit is {max_bytes / 1_000_000:g} MB.",
        )


def _megabytes_up(size: int) -> str:
    """Round up to 0.1 MB, so a file just over the limit never reads as equal to it."""
    return f"{math.ceil(size / 100_000) / 10:g}"


def sniff_format(data: bytes) -> str:
    """The accepted format the content really is ("PNG", "JPEG" or "WEBP"), judged by magic bytes."""
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise ImageRejected(
        "unsupported_format",
        f"Only PNG, JPEG and WebP images are accepted (this looks like {describe_refused(data)}).",
    )


def describe_refused(data: bytes) -> str:
    """A short guess at what a refused file is, for the error message."""
    for signature, description in REFUSED_SIGNATURES:
        if data.startswith(signature):
            return description
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return HEIF_BRANDS[data[8:12]]
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and b"<svg" in head:
        return "an SVG"
    if head.startswith(b"<"):
        return "an HTML or XML document"
    return "something other than an image"


def declared_size(data: bytes, source_format: str) -> tuple[int, int]:
    """Width and height as the file header declares them, read without Pillow or any decoding."""
    reader = {"PNG": _png_size, "JPEG": _jpeg_size, "WEBP": _webp_size}[source_format]
    size = reader(data)
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise _corrupt()
    return size


def _png_size(data: bytes) -> tuple[int, int] | None:
    """PNG: the IHDR chunk must come first, right after the signature."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """JPEG: walk the marker segments up to the first scan, taking the largest frame header seen.

    Pillow keeps the last start-of-frame segment before the scan, so every one of them must fit.
    """
    pos, size = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        pos += 2
        if marker in JPEG_STANDALONE_MARKERS:
            continue
        if marker in (0xDA, 0xD9):  # start of scan, end of image
            break
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2:
            return None
        if marker in JPEG_SOF_MARKERS:
            if pos + 7 > len(data):
                return None
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            size = (width, height) if size is None else (max(size[0], width), max(size[1], height))
        pos += length
    return size


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """WebP: the canvas size of an extended file (VP8X), else the size of its single frame."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def check_dimensions(size: tuple[int, int], max_dimension: int) -> None:
    """Refuse images wider or taller than the limit; this is what stops decompression bombs."""
    width, height = size
    if width > max_dimension or height > max_dimension:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {width}×{height} pixels; the limit is {max_dimension}×{max_dimension}.",
        )


def _corrupt() -> ImageRejected:
    return ImageRejected("corrupt", "The image file is damaged or truncated.")


# --- decoding and pixel work ------------------------------------------------------------------


def decode(data: bytes, source_format: str, max_dimension: int) -> Image.Image:
    """Decode the first frame with only the sniffed format's decoder enabled.

    The size Pillow parsed is checked again before .load(), so a header our parser misread can't
    slip a huge image through. Pillow's own bomb check (DecompressionBombError) is kept as a last
    line and reported as too_many_pixels. Its DecompressionBombWarning needs no handling: anything
    reaching Pillow is already within max_dimension², below Pillow's default warning threshold.
    """
    try:
        if source_format == "PNG":
            verify_png_chunks(data)
        image = Image.open(io.BytesIO(data), formats=[source_format])
        check_dimensions(image.size, max_dimension)
        image.load()  # frame 0: the first frame of an animation
    except ImageRejected:
        raise
    except Image.DecompressionBombError as err:
        raise ImageRejected("too_many_pixels", "The image has too many pixels to process safely.") from err
    except DECODE_ERRORS as err:
        raise _corrupt() from err
    return image


def verify_png_chunks(data: bytes) -> None:
    """Check every PNG chunk's CRC and that IEND is there; .load() alone accepts a cut-off file."""
    with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
        image.verify()


def orient(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels, since the EXIF itself is about to be dropped.

    Unreadable EXIF is ignored rather than refused: the pixels themselves decoded fine.
    """
    try:
        return ImageOps.exif_transpose(image)
    except DECODE_ERRORS:
        return image


def flatten(image: Image.Image) -> Image.Image:
    """8-bit RGB with any transparency composited onto white (JPEG has no alpha)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        image = _sixteen_bit_to_grey(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")


def _sixteen_bit_to_grey(image: Image.Image) -> Image.Image:
    """16-bit greyscale PNGs: scale to 8 bits (a plain convert would clip nearly all to white)."""
    grey = image.convert("I").point(lambda value: value / 256).convert("L")
    grey.info.pop("transparency", None)  # a 16-bit key colour means nothing after scaling
    return grey


def fit_long_side(image: Image.Image, long_side: int) -> Image.Image:
    """Shrink so the long side is at most long_side; never upscale."""
    width, height = image.size
    if max(width, height) <= long_side:
        return image
    scale = long_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def square_thumbnail(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square and scale to exactly size×size, so lists can lay them out evenly.

    Cut from the full-size image: a crop of the normalized one would be soft for very wide images.
    """
    return ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)


def encode_jpeg(image: Image.Image) -> bytes:
    """JPEG from a fresh image, so no EXIF, ICC, XMP or comment can ride along from the upload."""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
