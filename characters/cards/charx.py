"""CHARX (zip) containers: defensive reading and deterministic writing.

A zip is attacker-controlled: every limit is checked from the central
directory first, and every entry is then read in bounded steps, so a header
that lies about sizes still cannot make us hold more than the limit.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
import zlib

from .errors import CardError
from .limits import (
    CHARX_MAX_ENTRIES,
    CHARX_MAX_RATIO,
    CHARX_MAX_TOTAL_BYTES,
    CHARX_RATIO_FLOOR_BYTES,
)

ZIP_SIGNATURE = b"PK\x03\x04"
CARD_JSON = "card.json"
EMBEDDED_SCHEME = "embeded://"  # sic: the V3 spec spells it this way
ICON_PATH = "assets/icon/images/main.png"
_READ_STEP = 64 * 1024


def open_charx(data: bytes) -> zipfile.ZipFile:
    """Open and vet a CHARX archive; the caller closes it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise CardError("The CHARX file is not a valid zip archive.") from None
    try:
        _vet(archive.infolist())
    except CardError:
        archive.close()
        raise
    return archive


def _vet(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > CHARX_MAX_ENTRIES:
        raise CardError(f"The CHARX file has {len(infos):,} entries; the limit is {CHARX_MAX_ENTRIES}.")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if _unsafe(name):
            raise CardError(f'The CHARX file contains an unsafe path "{name[:100]}".')
        if name in seen:
            raise CardError(f'The CHARX file contains "{name[:100]}" twice.')
        seen.add(name)
        if info.flag_bits & 0x1:
            raise CardError("The CHARX file is encrypted; export it again without a password.")
        total += info.file_size
        if total > CHARX_MAX_TOTAL_BYTES:
            raise CardError(f"The CHARX file unpacks to more than {CHARX_MAX_TOTAL_BYTES // 1_000_000} MB, the limit.")
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > CHARX_RATIO_FLOOR_BYTES and size > CHARX_MAX_RATIO * packed:
            raise CardError(
                f'The CHARX entry "{name[:100]}" expands {size // packed:,}× when unpacked; '
                f"more than {CHARX_MAX_RATIO}× looks like a zip bomb, so the file was refused."
            )


def _unsafe(name: str) -> bool:
    """Absolute paths, drive letters, '..' parts or NULs: never legitimate in a card."""
    path = name.replace("\\", "/")
    return path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None or "\0" in path or ".." in path.split("/")


def read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """Read one entry, never more than ``limit`` bytes whatever its header claims."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise CardError(f'The CHARX entry "{name}" is {info.file_size:,} bytes; the limit is {limit:,}.')
    parts: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_READ_STEP):
                size += len(chunk)
                if size > limit:
                    raise CardError(f'The CHARX entry "{name}" is larger than its header says.')
                parts.append(chunk)
    except CardError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError):
        raise CardError(f'The CHARX entry "{name}" is corrupt or uses unsupported compression.') from None
    return b"".join(parts)


def embedded_path(uri: str) -> str | None:
    """The zip path an asset URI points to, or None when it is not embedded."""
    if uri.startswith(EMBEDDED_SCHEME):
        return uri[len(EMBEDDED_SCHEME) :]
    return None


def write_charx(card_json: bytes, icon_png: bytes | None, timestamp: int | None) -> bytes:
    """Zip card.json (deflated) and the icon (stored: PNG is already compressed)."""
    date_time = time.gmtime(timestamp)[:6] if timestamp else (1980, 1, 1, 0, 0, 0)
    if not 1980 <= date_time[0] <= 2107:  # the range a zip timestamp can hold
        date_time = (1980, 1, 1, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(CARD_JSON, date_time=date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, card_json)
        if icon_png is not None:
            info = zipfile.ZipInfo(ICON_PATH, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, icon_png)
    return out.getvalue()
