"""Streamed MP4 encoding with the ffmpeg that imageio-ffmpeg bundles (libx264 + AAC).

Frames arrive as an iterator and are piped to ffmpeg one at a time, so memory stays at about one
frame whatever the clip length.

Design notes
------------
* The audio is the master clock. The clip gets exactly ``ceil(audio_duration * fps)`` video
  frames: if the iterator runs out early the last frame is repeated (a held pose beats a cut-off
  sentence); frames beyond that count are never pulled from the iterator. The MP4's duration
  therefore equals the audio's within one frame.
* yuv420p needs even dimensions. ``encode_clip`` raises ``ValueError`` for odd ones rather than
  silently changing the picture size; ``still_clip`` (the fallback that must not fail) pads the
  right/bottom edge by one replicated pixel instead.
* Output is written to a hidden temp file in ``out``'s directory and renamed into place, so a
  failed or interrupted encode never leaves a partial MP4 or poster. If the frame iterator
  raises, ffmpeg is killed and reaped before the exception propagates.
* ffmpeg's stderr goes to a temp file (not a pipe, which could fill and deadlock); its tail is
  put into ``EncodeError`` on failure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import struct
import subprocess
import tempfile
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO

import imageio_ffmpeg
import numpy as np
from PIL import Image

from engine.features import frames_for_duration

STDERR_TAIL_CHARS = 2000
POSTER_QUALITY = 90


class EncodeError(RuntimeError):
    """ffmpeg failed; the message carries the tail of its stderr."""


@dataclass(frozen=True)
class EncodedClip:
    """A finished MP4 and its poster JPEG."""

    path: Path
    poster: Path
    duration: float
    frames: int
    width: int
    height: int


def encode_clip(
    frames: Iterable[np.ndarray],
    *,
    audio_wav: Path,
    out: Path,
    fps: float = 25.0,
    poster_frame: int = 0,
    crf: int = 23,
    preset: str = "veryfast",
) -> EncodedClip:
    """Encode RGB uint8 (H, W, 3) frames plus a WAV into a faststart H.264/AAC MP4, with a poster JPEG."""
    out = Path(out)
    audio_duration = wav_duration(Path(audio_wav))
    total = frames_for_duration(audio_duration, fps)
    if total == 0:
        raise ValueError(f"{audio_wav} has no audio; a clip needs a duration")
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise ValueError("the frame iterator yielded no frames")
    height, width = _check_frame(first, None)
    video_tmp = _temp_path(out, ".mp4")
    poster_tmp = _temp_path(out, ".jpg")
    try:
        poster = _stream_to_ffmpeg(
            itertools.chain([first], iterator),
            _ffmpeg_command(width, height, fps, Path(audio_wav), video_tmp, crf, preset),
            total=total,
            poster_frame=poster_frame,
        )
        Image.fromarray(poster).save(poster_tmp, format="JPEG", quality=POSTER_QUALITY)
        os.replace(video_tmp, out)
        os.replace(poster_tmp, out.with_suffix(".jpg"))
    finally:
        for leftover in (video_tmp, poster_tmp):
            leftover.unlink(missing_ok=True)
    return EncodedClip(path=out, poster=out.with_suffix(".jpg"), duration=total / fps, frames=total, width=width, height=height)


def still_clip(image: np.ndarray, *, audio_wav: Path, out: Path, fps: float = 25.0) -> EncodedClip:
    """The fallback clip: one still image held for the whole audio (odd sizes padded to even)."""
    _check_frame(image, None, require_even=False)
    even = np.pad(image, ((0, image.shape[0] % 2), (0, image.shape[1] % 2), (0, 0)), mode="edge")
    return encode_clip(itertools.repeat(even), audio_wav=audio_wav, out=out, fps=fps)


def wav_duration(path: Path) -> float:
    """Duration of a PCM WAV in seconds, read from its header."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError) as error:
        raise EncodeError(f"{path} is not a readable PCM WAV: {error}") from error


def probe(path: Path) -> dict:
    """Stream codecs, size, fps and duration (from ``ffmpeg -i``, refined by the mvhd box) plus faststart."""
    path = Path(path)
    if not path.is_file():
        raise EncodeError(f"{path} does not exist")
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    info = _parse_ffmpeg_info(result.stderr)
    if not info["streams"]:
        raise EncodeError(f"ffmpeg found no streams in {path}: {result.stderr[-STDERR_TAIL_CHARS:]}")
    boxes = _top_level_boxes(path)
    info["boxes"] = [name for name, _, _ in boxes]
    info["faststart"] = _is_faststart(info["boxes"])
    movie_duration = _mvhd_duration(path, boxes)
    if movie_duration is not None:
        info["duration"] = movie_duration
    return info


def _check_frame(frame: object, expected: tuple[int, int] | None, *, require_even: bool = True) -> tuple[int, int]:
    """Validate one frame; returns (height, width). Even sizes are required by yuv420p chroma subsampling."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        shape = getattr(frame, "shape", None)
        raise ValueError(f"frames must be RGB uint8 arrays of shape (H, W, 3), got {type(frame).__name__} {shape}")
    height, width = int(frame.shape[0]), int(frame.shape[1])
    if require_even and (height % 2 or width % 2):
        raise ValueError(f"frame size {width}x{height} is odd; yuv420p needs even width and height (crop or pad first)")
    if expected is not None and (height, width) != expected:
        raise ValueError(f"frame size changed mid-clip: {width}x{height}, expected {expected[1]}x{expected[0]}")
    return height, width


def _temp_path(out: Path, suffix: str) -> Path:
    """A fresh hidden file next to ``out``, so the final rename stays on one filesystem (atomic)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=f".part{suffix}")
    os.close(handle)
    return Path(name)


def _rate(fps: float) -> str:
    """fps as the exact rational ffmpeg wants (25 -> 25/1, 29.97 -> 2997/100)."""
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


def _ffmpeg_command(width: int, height: int, fps: float, audio: Path, out: Path, crf: int, preset: str) -> list[str]:
    """Raw RGB on stdin + the WAV -> H.264 yuv420p / AAC 128k, moov atom moved to the front."""
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", _rate(fps), "-i", "pipe:0",
        "-i", str(audio),
        "-map", "0:v:0", "-map", "1:a:0",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k",
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip


def _stream_to_ffmpeg(frames: Iterator[np.ndarray], command: list[str], *, total: int, poster_frame: int) -> np.ndarray:
    """Pipe exactly ``total`` frames into ffmpeg; returns the poster frame. Kills ffmpeg on any failure."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        assert process.stdin is not None  # stdin=PIPE
        try:
            poster = _write_frames(process.stdin, frames, total=total, poster_frame=poster_frame)
            process.stdin.close()
            returncode = process.wait()
        except BrokenPipeError:
            process.kill()
            process.wait()
            raise EncodeError(f"ffmpeg stopped reading frames: {_tail(stderr)}") from None
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if returncode != 0:
            raise EncodeError(f"ffmpeg exited with status {returncode}: {_tail(stderr)}")
    return poster


def _write_frames(pipe: IO[bytes], frames: Iterator[np.ndarray], *, total: int, poster_frame: int) -> np.ndarray:
    """Write exactly ``total`` frames, repeating the last once the iterator runs dry; returns frame ``poster_frame`` (clamped)."""
    poster_index = min(max(poster_frame, 0), total - 1)
    poster: np.ndarray | None = None
    frame: np.ndarray | None = None
    expected = None
    for index in range(total):
        frame = next(frames, frame)  # an exhausted iterator keeps answering with the last frame
        expected = _check_frame(frame, expected)
        assert frame is not None  # _check_frame refuses anything but an RGB array
        if index == poster_index:
            poster = frame.copy()
        pipe.write(np.ascontiguousarray(frame).data)
    if poster is None:
        raise ValueError("there were no frames to encode")
    return poster


def _tail(stderr: IO[bytes]) -> str:
    """The last part of ffmpeg's stderr, where the actual error is."""
    stderr.seek(0)
    return stderr.read().decode("utf-8", errors="replace")[-STDERR_TAIL_CHARS:].strip()


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+.*?: (Video|Audio|Subtitle|Data): (\w+)([^\n]*)")
_SIZE = re.compile(r", (\d{2,5})x(\d{2,5})[ ,\[]")
_FPS = re.compile(r", ([\d.]+) fps")


def _parse_ffmpeg_info(text: str) -> dict:
    """Pull duration, streams, size and fps out of ``ffmpeg -i``'s human-readable report."""
    info: dict = {
        "duration": None,
        "streams": [],
        "video_codec": None,
        "audio_codec": None,
        "width": None,
        "height": None,
        "fps": None,
    }
    if match := _DURATION.search(text):
        hours, minutes, seconds = match.groups()
        info["duration"] = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    for kind, codec, rest in _STREAM.findall(text):
        stream = {"type": kind.lower(), "codec": codec}
        if kind == "Video":
            if size := _SIZE.search(rest + " "):
                stream["width"], stream["height"] = int(size.group(1)), int(size.group(2))
            if fps := _FPS.search(rest):
                stream["fps"] = float(fps.group(1))
        info["streams"].append(stream)
        if kind == "Audio" and info["audio_codec"] is None:
            info["audio_codec"] = codec
        if kind == "Video" and info["video_codec"] is None:
            info["video_codec"] = codec
            info["width"], info["height"], info["fps"] = stream.get("width"), stream.get("height"), stream.get("fps")
    return info


def _top_level_boxes(path: Path) -> list[tuple[str, int, int]]:
    """(type, offset, size) of each top-level ISO-BMFF box; empty if the file is not MP4-like."""
    boxes = []
    file_size = path.stat().st_size
    with path.open("rb") as handle:
        offset = 0
        while offset + 8 <= file_size:
            handle.seek(offset)
            size, kind = struct.unpack(">I4s", handle.read(8))
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0]
            elif size == 0:
                size = file_size - offset
            if size < 8 or not kind.isascii():
                break
            boxes.append((kind.decode("ascii", errors="replace"), offset, size))
            offset += size
    return boxes


def _is_faststart(box_names: list[str]) -> bool:
    """True when the moov box (the index) comes before mdat, so playback can start while downloading."""
    if "moov" not in box_names or "mdat" not in box_names:
        return False
    return box_names.index("moov") < box_names.index("mdat")


def _mvhd_duration(path: Path, boxes: list[tuple[str, int, int]]) -> float | None:
    """Exact movie duration from moov/mvhd (ffmpeg's report rounds to 10 ms)."""
    moov = next(((offset, size) for name, offset, size in boxes if name == "moov"), None)
    if moov is None:
        return None
    with path.open("rb") as handle:
        handle.seek(moov[0] + 8)
        data = handle.read(min(moov[1] - 8, 1 << 20))
    position = 0
    while position + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"mvhd":
            body = data[position + 8 : position + size]
            if body[0] == 1:
                timescale, duration = struct.unpack(">IQ", body[20:32])
            else:
                timescale, duration = struct.unpack(">II", body[12:20])
            return duration / timescale if timescale else None
        if size < 8:
            break
        position += size
    return None


def decode_frames(path: Path, limit: int | None = None) -> Iterator[np.ndarray]:
    """The frames of a video as RGB arrays (the first `limit` of them), decoded by the bundled ffmpeg.

    What the clip checks, the tests and the benchmarks read back, so all of them judge the file a viewer gets.
    """
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        width, height = next(reader)["size"]
        for raw in itertools.islice(reader, limit):
            yield np.frombuffer(raw, np.uint8).reshape(height, width, 3)
    finally:
        reader.close()
