"""PNG chunk walking: find the card's text chunk, add ours on export.

Chunks are walked by hand rather than through Pillow because the card chunk
usually sits after IDAT, and Pillow only reaches it by decoding the pixels;
walking lets us refuse a hostile header (a decompression bomb) before any
pixel is decoded, and makes truncation and checksum errors precise.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from collections.abc import Iterator

from .errors import CardError
from .limits import MAX_CARD_BYTES, MAX_IMAGE_SIDE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CARD_KEYWORDS = ("ccv3", "chara")  # preference order: the V3 spec says ccv3 wins
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# The text is base64 of at most a whole card, so anything bigger is hostile.
_MAX_TEXT_BYTES = MAX_CARD_BYTES * 4 // 3 + 4
_TRUNCATED = "The PNG file is truncated or corrupt; export the card again and re-upload it."


def iter_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (type, payload) for each chunk up to IEND, checking lengths and CRCs."""
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise CardError(_TRUNCATED)
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise CardError(_TRUNCATED)
        payload = data[pos + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + payload) != crc:
            name = kind.decode("latin-1") if kind.isalpha() else "?"
            raise CardError(f'The PNG file is corrupt (bad checksum in its "{name}" chunk).')
        yield kind, payload
        if kind == b"IEND":
            return
        pos = end


def check_header(data: bytes) -> tuple[int, int]:
    """Read width/height from IHDR and refuse oversized images before decoding."""
    chunks = iter_chunks(data)
    kind, payload = next(chunks)
    if kind != b"IHDR" or len(payload) != 13:
        raise CardError("The PNG file is corrupt (it does not start with an image header).")
    width, height = struct.unpack(">II", payload[:8])
    if width == 0 or height == 0:
        raise CardError("The PNG file is corrupt (its image has no pixels).")
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise CardError(f"The image is {width:,}×{height:,} pixels; the limit is {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}.")
    return width, height


def find_card_text(data: bytes) -> tuple[str, bytes]:
    """Return (keyword, decoded JSON bytes) of the card chunk, preferring ccv3 over chara."""
    check_header(data)
    found: dict[str, bytes] = {}
    for kind, payload in iter_chunks(data):
        if kind in TEXT_CHUNKS:
            keyword, text = _text_chunk(kind, payload)
            if keyword in CARD_KEYWORDS and keyword not in found:
                found[keyword] = text
    for keyword in CARD_KEYWORDS:
        if keyword in found:
            return keyword, _b64decode(found[keyword], keyword)
    raise CardError(
        'This PNG has no character card inside (no "chara" or "ccv3" text chunk). '
        "It may be a plain image, or a site may have stripped the card when re-saving it."
    )


def _text_chunk(kind: bytes, payload: bytes) -> tuple[str | None, bytes]:
    """Decode a tEXt/zTXt/iTXt chunk to (lower-case keyword, text bytes).

    Only card chunks are decompressed; other chunks are returned undecoded.
    """
    keyword, sep, rest = payload.partition(b"\0")
    if not sep:
        return None, b""
    name = keyword.decode("latin-1").lower()
    if name not in CARD_KEYWORDS:
        return None, b""
    if kind == b"tEXt":
        return name, rest
    if kind == b"zTXt":
        return name, _inflate(rest[1:], name)
    # iTXt: compression flag, method, language\0, translated keyword\0, text
    if len(rest) < 2:
        return name, b""
    compressed, rest = rest[0], rest[2:]
    _, _, rest = rest.partition(b"\0")
    _, _, text = rest.partition(b"\0")
    return name, _inflate(text, name) if compressed else text


def _inflate(compressed: bytes, keyword: str) -> bytes:
    """Decompress a text chunk without ever holding more than the card limit."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, _MAX_TEXT_BYTES + 1)
    except zlib.error:
        raise CardError(f'The "{keyword}" PNG chunk is corrupt (its compression is broken).') from None
    if len(text) > _MAX_TEXT_BYTES:
        raise CardError(f'The "{keyword}" PNG chunk is larger than any card can be.')
    return text


def _b64decode(text: bytes, keyword: str) -> bytes:
    """Strict base64, tolerating whitespace and missing padding that some tools write."""
    cleaned = re.sub(rb"\s+", b"", text)
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        decoded = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise CardError(f'The "{keyword}" PNG chunk is not valid base64.') from None
    if not decoded:
        raise CardError(f'The "{keyword}" PNG chunk is empty.')
    return decoded


def strip_text_chunks(data: bytes) -> bytes:
    """The same PNG without text chunks, for a pixel check that cannot trip on metadata."""
    out = [PNG_SIGNATURE]
    for kind, payload in iter_chunks(data):
        if kind not in TEXT_CHUNKS:
            out.append(_chunk(kind, payload))
    return b"".join(out)


def add_text_chunks(png: bytes, texts: list[tuple[str, bytes]]) -> bytes:
    """Insert tEXt chunks just before IEND, dropping any older card chunks."""
    out = [PNG_SIGNATURE]
    for kind, payload in iter_chunks(png):
        if kind in TEXT_CHUNKS and _text_chunk(kind, payload)[0] is not None:
            continue
        if kind == b"IEND":
            out.extend(_chunk(b"tEXt", k.encode("latin-1") + b"\0" + t) for k, t in texts)
        out.append(_chunk(kind, payload))
    return b"".join(out)


def encode_text(card_json: bytes) -> bytes:
    """Base64 of the UTF-8 JSON, the value format of a card chunk."""
    return base64.b64encode(card_json)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
