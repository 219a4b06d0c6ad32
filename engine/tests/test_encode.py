"""Encoding must produce a web-ready MP4 matched to the audio, and never leave debris behind."""

import os
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.encode import EncodedClip, EncodeError, encode_clip, probe, still_clip

SR = 22050
FPS = 25.0
WIDTH, HEIGHT = 128, 96


def write_wav(path: Path, seconds: float, sample_rate: int = SR) -> Path:
    """A sine for the first half, silence after: a 16-bit mono WAV written with the stdlib."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    samples = 0.5 * np.sin(2 * np.pi * 440 * t) * (t < seconds / 2)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(np.round(samples * 32767).astype("<i2").tobytes())
    return path


def solid_frames(count: int, width: int = WIDTH, height: int = HEIGHT) -> Iterator[np.ndarray]:
    """Frame ``i`` is a flat grey of level 4*i, so a poster can be matched to its frame."""
    for index in range(count):
        yield np.full((height, width, 3), 4 * index, dtype=np.uint8)


def ffmpeg_children() -> list[int]:
    """Pids of ffmpeg processes whose parent is this test process (the test Redis is ignored)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if parent == os.getpid() and "ffmpeg" in name:
            found.append(int(entry.name))
    return found


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "voice.wav", 2.4)


def test_streams_a_generator_into_a_web_ready_mp4(tmp_path: Path, audio: Path) -> None:
    clip = encode_clip(solid_frames(60), audio_wav=audio, out=tmp_path / "clip.mp4", fps=FPS, poster_frame=10)
    assert clip == EncodedClip(
        path=tmp_path / "clip.mp4", poster=tmp_path / "clip.jpg", duration=2.4, frames=60, width=WIDTH, height=HEIGHT
    )
    info = probe(clip.path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert info["fps"] == 25
    assert (info["width"], info["height"]) == (WIDTH, HEIGHT)
    assert abs(info["duration"] - 2.4) <= 1 / FPS
    assert info["faststart"] is True
    with Image.open(clip.poster) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (WIDTH, HEIGHT)
        assert abs(np.asarray(poster).mean() - 40) < 3  # frame 10 is grey level 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.jpg", "clip.mp4", "voice.wav"]


def test_short_video_is_held_on_its_last_frame_and_long_video_is_cut(tmp_path: Path, audio: Path) -> None:
    short = encode_clip(solid_frames(20), audio_wav=audio, out=tmp_path / "short.mp4")
    assert short.frames == 60 and abs(probe(short.path)["duration"] - 2.4) <= 1 / FPS
    pulled = []
    endless = (pulled.append(i) or frame for i, frame in enumerate(solid_frames(10_000)))
    long = encode_clip(endless, audio_wav=audio, out=tmp_path / "long.mp4")
    assert long.frames == 60 and len(pulled) == 60  # frames past the audio are never even generated


def test_fractional_duration_rounds_up_to_whole_frames(tmp_path: Path) -> None:
    clip = encode_clip(solid_frames(100), audio_wav=write_wav(tmp_path / "a.wav", 1.01), out=tmp_path / "c.mp4")
    assert clip.frames == 26
    assert abs(probe(clip.path)["duration"] - 1.01) <= 1 / FPS


@pytest.mark.parametrize("size", [(127, 96), (128, 95)])
def test_odd_sizes_are_rejected_before_anything_is_written(tmp_path: Path, audio: Path, size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="even"):
        encode_clip(solid_frames(60, *size), audio_wav=audio, out=tmp_path / "clip.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.wav"]


def test_wrong_frame_type_is_a_clear_error(tmp_path: Path, audio: Path) -> None:
    frames = [np.zeros((HEIGHT, WIDTH, 3), dtype=np.float32)]
    with pytest.raises(ValueError, match="RGB uint8"):
        encode_clip(frames, audio_wav=audio, out=tmp_path / "clip.mp4")


def test_iterator_failure_kills_ffmpeg_and_leaves_no_output(tmp_path: Path, audio: Path) -> None:
    def failing() -> Iterator[np.ndarray]:
        yield from solid_frames(30)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        encode_clip(failing(), audio_wav=audio, out=tmp_path / "clip.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.wav"]
    assert ffmpeg_children() == []


def test_size_change_mid_clip_is_rejected_cleanly(tmp_path: Path, audio: Path) -> None:
    frames = [*solid_frames(5), np.zeros((HEIGHT + 2, WIDTH, 3), dtype=np.uint8)]
    with pytest.raises(ValueError, match="changed"):
        encode_clip(frames, audio_wav=audio, out=tmp_path / "clip.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.wav"]
    assert ffmpeg_children() == []


def test_ffmpeg_failure_raises_encode_error_with_its_stderr(tmp_path: Path, audio: Path) -> None:
    with pytest.raises(EncodeError, match=r"(?i)preset"):
        encode_clip(solid_frames(60), audio_wav=audio, out=tmp_path / "clip.mp4", preset="no-such-preset")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.wav"]


def test_unreadable_audio_is_an_encode_error(tmp_path: Path) -> None:
    bogus = tmp_path / "voice.wav"
    bogus.write_bytes(b"not a wav at all")
    with pytest.raises(EncodeError, match="WAV"):
        encode_clip(solid_frames(60), audio_wav=bogus, out=tmp_path / "clip.mp4")


def test_still_clip_holds_one_image_for_the_audio(tmp_path: Path, audio: Path) -> None:
    image = np.full((95, 127, 3), 200, dtype=np.uint8)  # odd on purpose: the fallback pads instead of failing
    clip = still_clip(image, audio_wav=audio, out=tmp_path / "still.mp4")
    info = probe(clip.path)
    assert (clip.width, clip.height) == (128, 96) == (info["width"], info["height"])
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac" and info["faststart"]
    assert abs(info["duration"] - 2.4) <= 1 / FPS
    assert clip.poster.is_file()


def test_probe_reports_missing_files(tmp_path: Path) -> None:
    with pytest.raises(EncodeError):
        probe(tmp_path / "nothing.mp4")
