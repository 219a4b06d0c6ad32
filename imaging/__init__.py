"""Safe handling of untrusted uploaded images (portraits and avatars); no Django inside."""

from imaging.sanitize import (
    MAX_DIMENSION,
    MAX_UPLOAD_BYTES,
    NORMALIZED_LONG_SIDE,
    THUMBNAIL_SIZE,
    ImageRejected,
    SanitizedImage,
    sanitize_image,
    verify_image,
)

__all__ = [
    "MAX_DIMENSION",
    "MAX_UPLOAD_BYTES",
    "NORMALIZED_LONG_SIDE",
    "THUMBNAIL_SIZE",
    "ImageRejected",
    "SanitizedImage",
    "sanitize_image",
    "verify_image",
]
