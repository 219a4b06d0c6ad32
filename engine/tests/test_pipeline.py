"""The whole engine: a real MP4 with both streams, a watermark the detector finds, a valid C2PA manifest."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import speech
from engine.encode import decode_frames, probe
from engine.features import AudioFeatures
from engine.motion import BaselineMotion
from engine.pipeline import Cancelled, ClipRequest, make_clip
from engine.rig import Rig, RigUncertain, detect_rig
from engine.stages import STAGES
from engine.tests.test_encode import ffmpeg_children
from provenance import manifest, watermark

ROOT = Path(__file__).resolve().parents[2]
PORTRAIT = ROOT / "evals/data/portraits/drawn/demo_mira.png"
SCRIPT = "Hello, I am Mira."


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.asarray(Image.open(PORTRAIT).convert("RGB"))


@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> manifest.SigningIdentity:
    return manifest.dev_identity(tmp_path_factory.mktemp("c2pa"))


def test_a_script_becomes_a_signed_watermarked_talking_clip(tmp_path, image, identity):
    stages: list[tuple[str, int]] = []
    result = make_clip(
        ClipRequest(image=image, text=SCRIPT, audio=None, voice=speech.DEFAULT_VOICE),
        workdir=tmp_path,
        identity=identity,
        on_progress=lambda stage, percent: stages.append((stage, percent)),
    )
    info = probe(result.video)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert info["faststart"] is True
    assert abs(info["duration"] - result.duration) < 0.1
    assert (result.width, result.height) == (512, 512)
    assert result.fallback_reason is None and result.rig_source == "mediapipe"
    assert Image.open(result.poster).format == "JPEG"

    frames = list(decode_frames(result.video))
    lips = detect_rig(image).scaled(512, 512).group("lips_outer")
    (x0, y0), (x1, y1) = lips.min(axis=0).astype(int) - 8, lips.max(axis=0).astype(int) + 8
    # The mouth moves: its pixels change over the clip (a still clip varies by compression noise, well under 1).
    assert np.stack(frames)[:, y0:y1, x0:x1].astype(np.float32).std(axis=0).mean() > 4
    found = watermark.detect(frames)
    assert found.payload == result.watermark_payload

    report = manifest.verify(result.video, trust_root_pem=identity.root_pem)
    assert report.state == "Trusted"
    assert report.ai_generated and report.watermark_payload == result.watermark_payload

    percents = [percent for _, percent in stages]
    assert percents == sorted(percents) and percents[-1] == 100
    seen = list(dict.fromkeys(stage for stage, _ in stages))
    assert seen == [stage for stage in STAGES if stage in seen] and "render" in seen
    assert set(result.timings) == set(STAGES)


def test_recorded_speech_drives_the_mouth(tmp_path, image, identity):
    recording = tmp_path / "mine.wav"
    speech.synthesize("Testing, one, two, three.", speech.DEFAULT_VOICE).write_wav(recording)
    result = make_clip(ClipRequest(image=image, text=None, audio=recording, voice=""), workdir=tmp_path, identity=identity)
    assert probe(result.video)["audio_codec"] == "aac"
    assert result.duration == pytest.approx(speech.load_audio(recording).duration, abs=0.1)


def test_the_same_seed_and_payload_give_the_same_frames(tmp_path, image, identity):
    request = ClipRequest(image=image, text=SCRIPT, audio=None, voice=speech.DEFAULT_VOICE, seed=3, payload=bytes(range(8)))
    runs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        runs.append(list(decode_frames(make_clip(request, workdir=tmp_path / name, identity=identity).video)))
    first, second = runs
    assert len(first) == len(second)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_cancelling_mid_render_stops_and_leaves_nothing(tmp_path, image, identity):
    def cancel_once_rendering() -> bool:
        return bool(progress) and progress[-1][0] == "render" and progress[-1][1] > 20

    progress: list[tuple[str, int]] = []
    with pytest.raises(Cancelled):
        make_clip(
            ClipRequest(
                image=image,
                text="A longer script, so that the render takes a few moments to finish.",
                audio=None,
                voice=speech.DEFAULT_VOICE,
            ),
            workdir=tmp_path,
            identity=identity,
            on_progress=lambda stage, percent: progress.append((stage, percent)),
            should_cancel=cancel_once_rendering,
        )
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob("*.jpg"))
    assert ffmpeg_children() == []


class _BrokenModel:
    """A motion model that fails part-way, as a buggy model would."""

    def stream(self, features: AudioFeatures, phones, *, seed: int = 0) -> Iterator[np.ndarray]:
        for index, vector in enumerate(BaselineMotion().stream(features, phones, seed=seed)):
            if index == 5:
                raise RuntimeError("model exploded")
            yield vector


def test_a_rendering_failure_falls_back_to_a_still_clip_and_says_why(tmp_path, image, identity, caplog):
    result = make_clip(
        ClipRequest(image=image, text=SCRIPT, audio=None, voice=speech.DEFAULT_VOICE),
        workdir=tmp_path,
        identity=identity,
        motion_model=_BrokenModel(),
    )
    assert result.fallback_reason == "The animation could not be rendered (RuntimeError). This clip shows the still portrait."
    assert "model exploded" in caplog.text  # the details go to the operator's log, not to the creator
    frames = list(decode_frames(result.video))
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() < 2  # a still picture
    assert watermark.detect(frames).payload == result.watermark_payload
    assert manifest.verify(result.video).state == "Valid"


def test_bad_input_is_a_speech_error(tmp_path, image, identity):
    with pytest.raises(speech.SpeechError):
        make_clip(ClipRequest(image=image, text="Hi", audio=None, voice="no-such-voice"), workdir=tmp_path, identity=identity)
    junk = tmp_path / "junk.mp3"
    junk.write_text("not audio")
    with pytest.raises(speech.SpeechError):
        make_clip(ClipRequest(image=image, text=None, audio=junk, voice=""), workdir=tmp_path, identity=identity)
    assert not list(tmp_path.glob("*.mp4"))


def test_the_command_line_makes_a_clip_and_prints_stage_timings(tmp_path):
    out = tmp_path / "clip.mp4"
    command = [sys.executable, "-m", "engine", "--image", str(PORTRAIT), "--text", SCRIPT, "--out", str(out)]
    done = subprocess.run([*command, "--c2pa-dir", str(tmp_path / "c2pa")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.exists() and out.with_suffix(".jpg").exists()
    for stage in STAGES:
        assert stage in done.stdout
    assert "real-time factor" in done.stdout


def test_the_command_line_explains_bad_input(tmp_path):
    command = [sys.executable, "-m", "engine", "--image", str(PORTRAIT), "--text", "Hi", "--voice", "nobody"]
    done = subprocess.run([*command, "--out", str(tmp_path / "x.mp4")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "nobody" in done.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_the_command_line_lists_the_voices_and_requires_a_source(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "engine", "--voices"], cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(speech.VOICES)
    missing = [sys.executable, "-m", "engine", "--image", str(PORTRAIT), "--out", str(tmp_path / "x.mp4")]
    done = subprocess.run(missing, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "--text or --audio" in done.stderr


def test_a_portrait_too_small_to_animate_still_gets_a_clip(tmp_path, identity):
    tiny = np.full((24, 24, 3), 200, np.uint8)
    result = make_clip(
        ClipRequest(image=tiny, text=SCRIPT, audio=None, voice=speech.DEFAULT_VOICE), workdir=tmp_path, identity=identity
    )
    assert result.rig_source == "none"
    assert "too small" in result.fallback_reason and "rig editor" in result.fallback_reason
    assert probe(result.video)["video_codec"] == "h264"


def faceless_portrait(path: Path) -> Path:
    """A landscape of soft colour blobs: nothing a face detector should take for a face."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:256, 0:256]
    pixels = np.zeros((256, 256, 3))
    for _ in range(6):
        cx, cy, radius = (*rng.uniform(0, 256, 2).tolist(), rng.uniform(30, 90))
        pixels += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / radius**2)[..., None] * rng.uniform(40, 120, 3)
    Image.fromarray(np.clip(pixels + 60, 0, 255).astype(np.uint8)).save(path)
    return path


def test_a_portrait_without_a_face_found_makes_no_clip_but_asks_for_the_rig(tmp_path, identity):
    image = np.asarray(Image.open(faceless_portrait(tmp_path / "blobs.png")).convert("RGB"))
    assert not detect_rig(image).trusted
    with pytest.raises(RigUncertain, match="rig editor"):
        make_clip(ClipRequest(image=image, text=SCRIPT, audio=None, voice="ada"), workdir=tmp_path, identity=identity)
    assert not list(tmp_path.glob("*.mp4"))


def test_the_command_line_exits_2_on_an_uncertain_rig_unless_given_one(tmp_path):
    portrait = faceless_portrait(tmp_path / "blobs.png")
    command = [sys.executable, "-m", "engine", "--image", str(portrait), "--text", "Hi.", "--voice", "ada"]
    command += ["--c2pa-dir", str(tmp_path / "c2pa")]
    refused = subprocess.run([*command, "--out", str(tmp_path / "x.mp4")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--rig" in refused.stderr and not (tmp_path / "x.mp4").exists()

    placed = Rig.from_dict({**detect_rig(np.asarray(Image.open(portrait).convert("RGB"))).to_dict(), "source": "editor"})
    rig_file = tmp_path / "rig.json"
    rig_file.write_text(json.dumps(placed.to_dict()))
    made = subprocess.run(
        [*command, "--rig", str(rig_file), "--out", str(tmp_path / "y.mp4")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert "rig from editor" in made.stdout
