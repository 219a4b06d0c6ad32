"""The clip pipeline: speech → features → rig → motion → render → watermark → encode → sign.

Frames flow from the motion model through the renderer and the watermark straight into ffmpeg,
so memory stays flat whatever the clip's length. A rendering failure falls back to a still
portrait with the audio (still watermarked, labelled and signed) and says why.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine import speech as speech_stage
from engine import vad
from engine.encode import EncodedClip, encode_clip, still_clip
from engine.features import audio_features
from engine.motion import BaselineMotion, MotionModel
from engine.render import DEFAULT_SIZE, Renderer, still_frame
from engine.rig import UNCERTAIN_RIG, Rig, RigError, RigUncertain, detect_rig
from provenance import manifest, watermark

logger = logging.getLogger(__name__)

# Share of the progress bar each stage fills; rendering and encoding stream together.
_WEIGHTS = {"speech": 10, "features": 3, "rig": 2, "motion": 1, "render": 74, "encode": 6, "sign": 4}
_CHECK_EVERY = 10  # frames between cancel checks and progress reports

ProgressCallback = Callable[[str, int], None]


class Cancelled(Exception):
    """should_cancel() said stop; nothing was written."""


@dataclass(frozen=True)
class ClipRequest:
    image: np.ndarray  # RGB uint8 portrait
    text: str | None
    audio: Path | None
    voice: str
    rig: Rig | None = None  # None: detect one on the portrait
    seed: int = 0
    size: int = DEFAULT_SIZE
    fps: float = 25.0
    badge: bool = True
    title: str = "Marionette clip"
    payload: bytes | None = None  # watermark payload; None: a fresh random one


@dataclass
class ClipResult:
    video: Path
    poster: Path
    duration: float
    width: int
    height: int
    fps: float
    watermark_payload: bytes
    fallback_reason: str | None
    rig_source: str
    timings: dict[str, float] = field(default_factory=dict)


class _Run:
    """One pipeline run's progress, cancellation and stage clock."""

    def __init__(self, on_progress: ProgressCallback | None, should_cancel: Callable[[], bool] | None) -> None:
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.timings: dict[str, float] = {}
        self._done = 0

    def check(self) -> None:
        if self.should_cancel is not None and self.should_cancel():
            raise Cancelled("the clip was cancelled")

    def report(self, stage: str, fraction: float = 0.0) -> None:
        if self.on_progress is not None:
            self.on_progress(stage, min(100, int(self._done + _WEIGHTS[stage] * fraction)))

    def stage(self, name: str) -> _Stage:
        return _Stage(self, name)

    def finish(self, name: str, seconds: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        self._done += _WEIGHTS[name]


class _Stage:
    def __init__(self, run: _Run, name: str) -> None:
        self.run, self.name = run, name

    def __enter__(self) -> _Stage:
        self.run.check()
        self.run.report(self.name)
        self.start = time.perf_counter()
        return self

    def __exit__(self, kind: type | None, *_: object) -> None:
        if kind is None:
            self.run.finish(self.name, time.perf_counter() - self.start)


def make_clip(
    request: ClipRequest,
    *,
    workdir: Path,
    identity: manifest.SigningIdentity,
    on_progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
    motion_model: MotionModel | None = None,
) -> ClipResult:
    """Make a signed, watermarked MP4 (and poster) in workdir. Raises speech.SpeechError for bad input."""
    if (request.text is None) == (request.audio is None):
        raise ValueError("a clip needs either a script or an audio file, not both")
    workdir = Path(workdir)
    run = _Run(on_progress, should_cancel)
    payload = request.payload or watermark.new_payload()
    with run.stage("speech"):
        if request.text is not None:
            speech = speech_stage.synthesize(request.text, request.voice)
        elif request.audio is not None:
            speech = speech_stage.load_audio(request.audio)
        else:
            raise speech_stage.SpeechError("A clip needs a script or a recording.")
        wav = workdir / "speech.wav"
        speech.write_wav(wav)
    with run.stage("features"):
        features = audio_features(speech.samples, speech.sample_rate, fps=request.fps)
        if not speech.phones:  # a recording: its pauses may hold noise or music, which must not move the mouth
            gate = vad.voice_gate(speech.samples, speech.sample_rate, frames=features.frames, fps=request.fps)
            features = dataclasses.replace(features, voice=gate)
    with run.stage("rig"):
        rig, rig_problem = _rig_for(request)
    with run.stage("motion"):
        motions = (motion_model or BaselineMotion()).stream(features, speech.phones, seed=request.seed)
    unsigned = workdir / "unsigned.mp4"
    encoded, fallback = _render_and_encode(request, rig, rig_problem, motions, features.frames, payload, wav, unsigned, run)
    with run.stage("sign"):
        video = workdir / "clip.mp4"
        manifest.sign(encoded.path, video, payload=payload, title=request.title, identity=identity)
        poster = workdir / "clip.jpg"
        encoded.poster.replace(poster)
        encoded.path.unlink()
    run.report("sign", 1.0)
    return ClipResult(
        video=video,
        poster=poster,
        duration=encoded.duration,
        width=encoded.width,
        height=encoded.height,
        fps=request.fps,
        watermark_payload=payload,
        fallback_reason=fallback,
        rig_source=rig.source if rig is not None else "none",
        timings=run.timings,
    )


def _rig_for(request: ClipRequest) -> tuple[Rig | None, str | None]:
    """The request's rig or a detected one; a portrait too small to animate gets none, and the reason.

    Raises RigUncertain when no detector found the face: a guessed rig would animate the wrong place.
    """
    if request.rig is not None:
        return request.rig, None
    try:
        rig = detect_rig(request.image)
    except RigError as error:
        return None, str(error)
    if not rig.trusted:
        raise RigUncertain(UNCERTAIN_RIG)
    return rig, None


def _render_and_encode(
    request: ClipRequest,
    rig: Rig | None,
    rig_problem: str | None,
    motions: Iterator[np.ndarray],
    total: int,
    payload: bytes,
    wav: Path,
    out: Path,
    run: _Run,
) -> tuple[EncodedClip, str | None]:
    """Stream rendered, watermarked frames into the encoder; on a rendering error, encode the still fallback."""
    clock = {"render": 0.0}
    started = time.perf_counter()
    try:
        if rig is None:
            raise RigError(f"{rig_problem} Mark the face in the rig editor to animate this portrait.")
        renderer = Renderer(request.image, rig, size=request.size, badge=request.badge)
        frames = _marked_frames(renderer, motions, payload, total, run, clock)
        encoded = encode_clip(frames, audio_wav=wav, out=out, fps=request.fps)
        fallback = None
    except (Cancelled, speech_stage.SpeechError):
        raise
    except Exception as error:  # any rendering bug must still give the creator a clip
        logger.exception("rendering failed; making a still clip instead")
        fallback = _fallback_reason(error)
        run.check()
        frame = watermark.embed(still_frame(request.image, size=request.size, badge=request.badge), payload)
        encoded = still_clip(frame, audio_wav=wav, out=out, fps=request.fps)
    run.finish("render", clock["render"])
    run.finish("encode", time.perf_counter() - started - clock["render"])
    return encoded, fallback


def _fallback_reason(error: Exception) -> str:
    """What the creator reads: a rig problem is theirs to fix and says how; anything else stays in the log."""
    cause = str(error) if isinstance(error, RigError) else f"The animation could not be rendered ({type(error).__name__})."
    return f"{cause} This clip shows the still portrait."


def _marked_frames(
    renderer: Renderer, motions: Iterator[np.ndarray], payload: bytes, total: int, run: _Run, clock: dict[str, float]
) -> Iterator[np.ndarray]:
    """Rendered and watermarked frames, checking for cancellation and reporting progress as they go."""
    for index, motion in enumerate(motions):
        if index % _CHECK_EVERY == 0:
            run.check()
            run.report("render", index / max(total, 1))
        start = time.perf_counter()
        frame = watermark.embed(renderer.frame(motion), payload)
        clock["render"] += time.perf_counter() - start
        yield frame
