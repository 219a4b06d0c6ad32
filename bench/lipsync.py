"""Measure lip sync and blinks on finished clips, from the decoded output frames, not the motion vectors.

    python -m bench.lipsync        # prints one JSON object

Each case makes a real clip (H.264 MP4) and decodes it again. Per frame:
- mouth opening = pixels of the mouth box whose colour is a shade of the rendered throat (teeth and
  tongue colours are too close to some skins and lips to count),
  i.e. the visible area of the open mouth, less what the most closed frame shows;
- eye openness = luma contrast inside each eye box (an open eye has dark iris and light white; a
  lid is flat skin); a blink is a run of frames under 85 % of the clip's median openness.
Against the speech energy envelope (RMS at the frame rate) it reports the Pearson correlation at
zero lag, the lag in frames (−5…5) with the best correlation (positive: the mouth trails the audio),
the share of silent frames (energy under 5 %, at least 2 frames from any voiced frame) whose mouth
is closed, and blinks a minute. The baseline in the same run is the correlation of a mouth that
ignores the audio (the clip's own mouth series reversed in time), which says how much of the
figure is chance. Targets: correlation ≥ 0.6, |lag| ≤ 1, ≥ 90 % closed in silence, 8–30 blinks/min.
"""

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from bench import harness
from engine import speech
from engine.encode import decode_frames
from engine.features import audio_features
from engine.pipeline import ClipRequest, make_clip
from engine.render import THROAT_COLOUR, fit_image
from engine.rig import Rig, detect_rig
from provenance import manifest

SCRIPTS = (
    "Hello there! My name is Mira. I paint the sky every morning, before anyone wakes up.",
    "Do you hear that? Listen. The old clock upstairs stopped at midnight, and nobody has wound it since.",
    "Bring me the map. The compass. And a very strong cup of coffee... We leave at dawn.",
)
# Portraits whose lips and skin are far from the throat's colour: on demo_mira.png the dark lips are
# shades of it themselves, so the colour count moves with the head and the measure is not valid there.
PORTRAITS = ("demo_juniper.png", "demo_quill.png")
LAGS = range(-5, 6)
SILENCE = 0.05
COLOUR_TOLERANCE = 15  # distance from the colour's ray, in 8-bit levels
BLINK_SHARE = 0.85  # eye contrast under 85 % of the clip's median: the lid is down
CLOSED_SHARE = 0.03  # a mouth showing under 3 % of its widest opening counts as closed


def _box(points: np.ndarray, pad: float) -> tuple[slice, slice]:
    x0, y0 = np.floor(points.min(axis=0) - pad).astype(int)
    x1, y1 = np.ceil(points.max(axis=0) + pad).astype(int)
    return slice(max(y0, 0), y1), slice(max(x0, 0), x1)


def _mouth_box(rig: Rig) -> tuple[slice, slice]:
    """Between the inner lip corners, from the lip line down to where a wide-open lower lip reaches."""
    inner = rig.group("lips_inner")
    width = float(inner[:, 0].max() - inner[:, 0].min())
    x0, x1 = int(inner[:, 0].min()) - 2, int(np.ceil(inner[:, 0].max())) + 2
    y0, y1 = int(inner[:, 1].min() - 0.1 * width), int(np.ceil(inner[:, 1].max() + 0.6 * width))
    return slice(max(y0, 0), y1), slice(max(x0, 0), x1)


def mouth_opening(frames: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    patch = frames[:, box[0], box[1]].astype(np.float32)
    interior = _shade_of(patch, THROAT_COLOUR).sum(axis=(1, 2)).astype(np.float32)
    # A portrait's own pixels of those colours count in every frame: the most closed frame is the zero.
    return interior - harness.percentile(interior, 0.02)


def _shade_of(patch: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Pixels that are the colour at 45-105 % brightness (the renderer shades the throat towards the back)."""
    unit = colour / np.linalg.norm(colour)
    along = patch @ unit
    off_ray = np.linalg.norm(patch - along[..., None] * unit, axis=-1)
    norm = float(np.linalg.norm(colour))
    return (off_ray < COLOUR_TOLERANCE) & (along > 0.45 * norm) & (along < 1.05 * norm)


def eye_openness(frames: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    luma = frames[:, box[0], box[1]].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return luma.std(axis=(1, 2))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def lagged(mouth: np.ndarray, energy: np.ndarray, lag: int) -> float:
    """Correlation with the mouth shifted lag frames later than the audio."""
    if lag >= 0:
        return correlation(mouth[lag:], energy[: len(energy) - lag])
    return correlation(mouth[:lag], energy[-lag:])


def silent_frames(energy: np.ndarray) -> np.ndarray:
    voiced = energy >= SILENCE
    near_voice = np.convolve(voiced.astype(int), np.ones(5, int), mode="same") > 0
    return ~near_voice


def count_blinks(openness: np.ndarray) -> int:
    shut = openness < BLINK_SHARE * np.median(openness)
    return int(np.sum(shut[1:] & ~shut[:-1]) + shut[0])


def measure_case(
    portrait: str, voice_id: str, script: str, *, uploaded: bool, workdir: Path, identity: manifest.SigningIdentity
) -> dict:
    image = np.asarray(Image.open(harness.ROOT / "evals/data/portraits/drawn" / portrait).convert("RGB"))
    if uploaded:
        recording = workdir / "recording.wav"
        speech.synthesize(script, voice_id).write_wav(recording)
        request = ClipRequest(image=image, text=None, audio=recording, voice=voice_id)
    else:
        request = ClipRequest(image=image, text=script, audio=None, voice=voice_id)
    result = make_clip(request, workdir=workdir, identity=identity)
    frames = np.stack(list(decode_frames(result.video)))
    heard = speech.load_audio(workdir / "speech.wav")
    energy = audio_features(heard.samples, heard.sample_rate, fps=result.fps).energy[: len(frames)]
    frames = frames[: len(energy)]
    fitted = fit_image(image)
    rig = detect_rig(image).scaled(fitted.shape[1], fitted.shape[0])
    mouth = mouth_opening(frames, _mouth_box(rig))
    eyes = [eye_openness(frames, _box(rig.group(eye), 0.1 * rig.eye_width())) for eye in ("eye_l", "eye_r")]
    best = max(LAGS, key=lambda lag: lagged(mouth, energy, lag))
    silent = silent_frames(energy)
    closed = mouth[silent] <= CLOSED_SHARE * mouth.max() if mouth.max() > 0 else np.ones(int(silent.sum()), bool)
    return {
        "portrait": portrait,
        "voice": voice_id,
        "source": "uploaded audio" if uploaded else "script",
        "seconds": round(len(frames) / result.fps, 2),
        "correlation": round(lagged(mouth, energy, 0), 3),
        "chance_correlation": round(correlation(mouth[::-1], energy), 3),
        "best_lag_frames": best,
        "best_lag_correlation": round(lagged(mouth, energy, best), 3),
        "silent_frames": int(silent.sum()),
        "closed_in_silence": round(float(closed.mean()), 3) if silent.any() else None,
        "blinks": count_blinks(np.minimum(*eyes)),
    }


def main() -> None:
    harness.parser(__doc__).parse_args()
    espeak = [v.id for v in speech.VOICES.values() if v.engine == "espeak"]
    piper = next(v.id for v in speech.VOICES.values() if v.engine == "piper")
    voices = list(dict.fromkeys([speech.DEFAULT_VOICE, piper, espeak[0], espeak[len(espeak) // 2]]))
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        identity = manifest.dev_identity(Path(tmp) / "c2pa")
        for index, script in enumerate(SCRIPTS):
            for voice_id in voices:
                portrait = PORTRAITS[(index + len(cases)) % len(PORTRAITS)]
                cases.append(_run(portrait, voice_id, script, False, Path(tmp), identity))
        cases.append(_run(PORTRAITS[0], espeak[-1], SCRIPTS[1], True, Path(tmp), identity))
    seconds = sum(case["seconds"] for case in cases)
    silent = [case for case in cases if case["closed_in_silence"] is not None]
    summary = {
        "cases": len(cases),
        "seconds": round(seconds, 1),
        "mean_correlation": round(float(np.mean([c["correlation"] for c in cases])), 3),
        "min_correlation": min(c["correlation"] for c in cases),
        "mean_chance_correlation": round(float(np.mean([c["chance_correlation"] for c in cases])), 3),
        "max_abs_lag_frames": max(abs(c["best_lag_frames"]) for c in cases),
        "closed_in_silence": round(
            sum(c["closed_in_silence"] * c["silent_frames"] for c in silent) / sum(c["silent_frames"] for c in silent), 3
        ),
        "blinks_per_minute": round(sum(c["blinks"] for c in cases) / seconds * 60, 1),
    }
    summary["meets_targets"] = {
        "correlation>=0.6": summary["mean_correlation"] >= 0.6,
        "|lag|<=1": summary["max_abs_lag_frames"] <= 1,
        "closed_in_silence>=0.9": summary["closed_in_silence"] >= 0.9,
        "blinks_8_to_30": 8 <= summary["blinks_per_minute"] <= 30,
    }
    harness.emit({"summary": summary, "cases": cases})


def _run(portrait: str, voice_id: str, script: str, uploaded: bool, tmp: Path, identity: manifest.SigningIdentity) -> dict:
    workdir = Path(tempfile.mkdtemp(dir=tmp))
    return measure_case(portrait, voice_id, script, uploaded=uploaded, workdir=workdir, identity=identity)


if __name__ == "__main__":
    main()
