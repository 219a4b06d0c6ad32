"""Motion: per-frame face motion vectors from speech, the avatar model's interface and its baseline.

A motion vector is a small float32 array (MOTION_FIELDS): the renderer turns it into rig point
displacements. A model runs as a session fed audio features a chunk at a time, which returns motion
frames as they become final, so a live stream and a whole clip go through the same code. The baseline here drives the mouth from phoneme timings (visemes blended with
coarticulation) or, for recorded speech without timings, from the audio's energy and spectrum;
blinks, brows, gaze and head motion are seeded procedural motion.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engine.features import AudioFeatures

MOTION_FIELDS: tuple[str, ...] = (
    "jaw_open",  # 0 closed … 1 wide open
    "lip_width",  # -1 narrow … 1 spread (smile-like)
    "lip_round",  # 0 … 1 rounded, pushed forward
    "blink_l",  # 0 open … 1 closed (the image's left eye)
    "blink_r",
    "brow_l",  # -1 lowered … 1 raised
    "brow_r",
    "gaze_x",  # -1 … 1, left … right
    "gaze_y",  # -1 … 1, up … down
    "head_yaw",  # degrees, positive turns towards the image's right
    "head_pitch",  # degrees, positive nods down
    "head_roll",  # degrees, positive tilts clockwise
    "head_x",  # translation in face widths
    "head_y",
)
FIELD = {name: index for index, name in enumerate(MOTION_FIELDS)}
MOTION_SIZE = len(MOTION_FIELDS)


class TimedPhone(Protocol):
    """A phone with its seconds; read-only, so frozen dataclasses (engine.speech.Phone) qualify."""

    @property
    def symbol(self) -> str: ...  # IPA

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


STYLES = ("speaking", "listening")  # listening: the mouth rests, the face follows the other voice


class MotionSession(Protocol):
    """One incremental run of a model: audio features in a chunk at a time, motion frames out as they are ready."""

    def push(self, features: AudioFeatures, phones: Sequence[TimedPhone] = ()) -> list[np.ndarray]:
        """Add the next chunk (phone times in seconds from the session's start); return the frames now final."""
        ...

    def close(self) -> list[np.ndarray]:
        """No more audio: return the remaining frames, so every pushed frame has come out exactly once."""
        ...


class MotionModel(Protocol):
    """What every avatar model implements: audio in, one motion vector per video frame out."""

    def open(self, *, seed: int = 0, style: str = "speaking") -> MotionSession:
        """Start a session; deterministic for a seed and the same chunks."""
        ...

    def stream(self, features: AudioFeatures, phones: Sequence[TimedPhone], *, seed: int = 0) -> Iterator[np.ndarray]:
        """Yield features.frames vectors of MOTION_SIZE float32, in order; deterministic for a seed."""
        ...


def stream_whole_clip(
    model: MotionModel, features: AudioFeatures, phones: Sequence[TimedPhone], *, seed: int = 0
) -> Iterator[np.ndarray]:
    """A whole clip through one session: all of it pushed at once, then closed."""
    session = model.open(seed=seed)
    yield from session.push(features, phones)
    yield from session.close()


# --- visemes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viseme:
    """Mouth target of a phoneme class; dominance says how strongly it resists its neighbours."""

    jaw: float
    width: float
    round: float
    dominance: float = 1.0


SILENCE = Viseme(0.0, 0.0, 0.0, 1.5)
CLOSED = Viseme(0.0, 0.0, 0.0, 4.0)  # p b m: the lips must meet, whatever surrounds them
_VISEMES: tuple[tuple[str, Viseme], ...] = (
    # Longest symbols first: they are matched as prefixes of the IPA phone.
    ("tʃ", Viseme(0.2, -0.1, 0.55, 1.4)),
    ("dʒ", Viseme(0.2, -0.1, 0.55, 1.4)),
    ("aɪ", Viseme(0.85, 0.2, 0.0)),
    ("aʊ", Viseme(0.85, 0.0, 0.2)),
    ("eɪ", Viseme(0.55, 0.5, 0.0)),
    ("oʊ", Viseme(0.5, -0.3, 0.8)),
    ("əʊ", Viseme(0.45, -0.3, 0.7)),
    ("ɔɪ", Viseme(0.65, -0.1, 0.6)),
    ("p", CLOSED),
    ("b", CLOSED),
    ("m", CLOSED),
    ("f", Viseme(0.08, 0.1, 0.0, 2.5)),
    ("v", Viseme(0.08, 0.1, 0.0, 2.5)),
    ("θ", Viseme(0.22, 0.1, 0.0, 1.5)),
    ("ð", Viseme(0.2, 0.1, 0.0, 1.5)),
    ("ʃ", Viseme(0.18, -0.1, 0.6, 1.4)),
    ("ʒ", Viseme(0.18, -0.1, 0.6, 1.4)),
    ("w", Viseme(0.12, -0.5, 0.95, 1.6)),
    ("ɹ", Viseme(0.2, -0.2, 0.45)),
    ("r", Viseme(0.2, -0.2, 0.45)),
    ("j", Viseme(0.15, 0.5, 0.0)),
    ("h", Viseme(0.3, 0.0, 0.0, 0.5)),
    ("k", Viseme(0.3, 0.0, 0.0, 0.8)),
    ("g", Viseme(0.3, 0.0, 0.0, 0.8)),
    ("ɡ", Viseme(0.3, 0.0, 0.0, 0.8)),
    ("ŋ", Viseme(0.25, 0.0, 0.0, 0.8)),
    ("t", Viseme(0.2, 0.2, 0.0)),
    ("d", Viseme(0.2, 0.2, 0.0)),
    ("n", Viseme(0.2, 0.2, 0.0)),
    ("l", Viseme(0.25, 0.1, 0.0)),
    ("s", Viseme(0.12, 0.35, 0.0, 1.3)),
    ("z", Viseme(0.12, 0.35, 0.0, 1.3)),
    ("ɾ", Viseme(0.2, 0.1, 0.0)),
    ("ʔ", Viseme(0.1, 0.0, 0.0, 0.6)),
    ("a", Viseme(0.95, 0.15, 0.0)),
    ("ɑ", Viseme(1.0, 0.0, 0.1)),
    ("æ", Viseme(0.85, 0.4, 0.0)),
    ("ɐ", Viseme(0.7, 0.1, 0.0)),
    ("ʌ", Viseme(0.65, 0.05, 0.0)),
    ("ɛ", Viseme(0.6, 0.4, 0.0)),
    ("e", Viseme(0.5, 0.5, 0.0)),
    ("ə", Viseme(0.45, 0.0, 0.0, 0.6)),
    ("ɚ", Viseme(0.4, -0.1, 0.3, 0.7)),
    ("ɜ", Viseme(0.5, 0.0, 0.2)),
    ("ɪ", Viseme(0.35, 0.6, 0.0)),
    ("i", Viseme(0.28, 0.8, 0.0)),
    ("ɔ", Viseme(0.7, -0.2, 0.6)),
    ("ɒ", Viseme(0.8, -0.1, 0.4)),
    ("o", Viseme(0.5, -0.3, 0.8)),
    ("ʊ", Viseme(0.3, -0.3, 0.8)),
    ("u", Viseme(0.25, -0.4, 1.0)),
    ("y", Viseme(0.25, -0.3, 0.9)),
)
_IGNORED = str.maketrans("", "", "ˈˌːˑ̩̯‿ ")


def viseme(symbol: str) -> Viseme:
    """The mouth target of an IPA phone; unknown symbols get a neutral, half-open mouth."""
    phone = symbol.translate(_IGNORED)
    if not phone:
        return SILENCE
    for prefix, target in _VISEMES:
        if phone.startswith(prefix):
            return target
    return Viseme(0.35, 0.0, 0.0, 0.7)


# --- the baseline model -------------------------------------------------------------------------------

# Timings, in seconds, of the procedural parts; the numbers are ordinary human figures.
BLINK_MEAN_INTERVAL = 3.6  # about 17 blinks a minute while talking
BLINK_MIN_INTERVAL = 1.2
BLINK_CLOSE, BLINK_HOLD, BLINK_OPEN = 0.07, 0.04, 0.13
COARTICULATION_SPREAD = 0.45  # a phone's influence reaches this share of its length beyond its centre, plus a floor
COARTICULATION_FLOOR = 0.035
SILENCE_GAP = 0.12  # pauses at least this long get a closed-mouth target between phones
ANTICIPATION = 0.02  # lips lead the sound they make by a few tens of milliseconds
ENERGY_SILENCE = 0.06  # normalised energy below which recorded speech counts as silent


LOOKAHEAD_SECONDS = 0.25  # a frame is final once this much audio after it is known (coarticulation, smoothing)


class BaselineMotion:
    """Rule-based motion: visemes or energy for the mouth, seeded blinks, brows, gaze and head."""

    def open(self, *, seed: int = 0, style: str = "speaking") -> BaselineSession:
        return BaselineSession(seed=seed, style=style)

    def stream(self, features: AudioFeatures, phones: Sequence[TimedPhone], *, seed: int = 0) -> Iterator[np.ndarray]:
        return stream_whole_clip(self, features, phones, seed=seed)


class BaselineSession:
    """The baseline, incrementally: each push recomputes the motion of all audio so far and releases the frames
    more than LOOKAHEAD_SECONDS old. Every procedural part draws from its own seeded generator, so the frames
    released early are the frames a longer clip has there too (up to the loudness the clip has reached)."""

    def __init__(self, *, seed: int, style: str) -> None:
        if style not in STYLES:
            raise ValueError(f"Unknown motion style {style!r}; choose one of {', '.join(STYLES)}.")
        self.seed, self.style = seed, style
        self.fps: float | None = None
        self.log_mel: list[np.ndarray] = []
        self.energy: list[np.ndarray] = []
        self.voice: list[np.ndarray] = []
        self.phones: list[TimedPhone] = []
        self.sent = 0
        self.closed = False

    def push(self, features: AudioFeatures, phones: Sequence[TimedPhone] = ()) -> list[np.ndarray]:
        if self.closed:
            raise ValueError("The motion session is closed.")
        if self.fps is not None and features.fps != self.fps:
            raise ValueError(f"Every chunk must have the session's {self.fps} fps, not {features.fps}.")
        self.fps = features.fps
        self.log_mel.append(np.asarray(features.log_mel, np.float32))
        self.energy.append(np.asarray(features.energy, np.float32))
        self.voice.append(np.ones(len(features.energy), np.float32) if features.voice is None else features.voice)
        self.phones.extend(phones)
        frames = sum(len(energy) for energy in self.energy)
        return self._release(frames - math.ceil(LOOKAHEAD_SECONDS * self.fps))

    def close(self) -> list[np.ndarray]:
        self.closed = True
        return self._release(sum(len(energy) for energy in self.energy))

    def _release(self, until: int) -> list[np.ndarray]:
        if until <= self.sent or self.fps is None:
            return []
        motion = self._motion()[self.sent : until]
        self.sent = until
        return list(motion)

    def _motion(self) -> np.ndarray:
        """Motion of every frame so far, from all the audio so far."""
        fps = float(self.fps or 0.0)
        energy = _voiced_energy(np.concatenate(self.energy), np.concatenate(self.voice))
        features = AudioFeatures(fps=fps, sample_rate=0, log_mel=np.concatenate(self.log_mel), energy=energy)
        frames = len(energy)
        blink_rng, brow_rng, gaze_rng, head_rng = (
            np.random.default_rng(child) for child in np.random.SeedSequence(self.seed).spawn(4)
        )
        motion = np.zeros((frames, MOTION_SIZE), np.float32)
        if self.style == "speaking" and frames:
            times = (np.arange(frames) + 0.5) / fps + ANTICIPATION
            mouth = _phone_mouth(times, self.phones, energy) if self.phones else _energy_mouth(features)
            motion[:, [FIELD["jaw_open"], FIELD["lip_width"], FIELD["lip_round"]]] = mouth
        motion[:, FIELD["blink_l"]] = motion[:, FIELD["blink_r"]] = _blinks(frames, fps, blink_rng)
        motion[:, [FIELD["brow_l"], FIELD["brow_r"]]] = _brows(energy, fps, brow_rng)
        motion[:, [FIELD["gaze_x"], FIELD["gaze_y"]]] = _gaze(frames, fps, gaze_rng)
        motion[:, FIELD["head_yaw"] :] = _head(energy, fps, head_rng)
        return motion


def _voiced_energy(energy: np.ndarray, voice: np.ndarray) -> np.ndarray:
    """Loudness where someone speaks, rescaled to the loudest speech: noise and music in pauses move nothing."""
    if voice.all():
        return energy
    gated = energy * voice
    peak = float(gated.max()) if gated.size else 0.0
    return gated / peak if peak > 0 else gated


def _phone_mouth(times: np.ndarray, phones: Sequence[TimedPhone], energy: np.ndarray) -> np.ndarray:
    """Jaw, width and rounding per frame: dominance-weighted visemes (Cohen-Massaro style coarticulation).

    Each phone pulls the mouth towards its target with a weight that peaks at its centre and decays
    with distance; silences between and around phones pull it closed, so pauses close the mouth.
    """
    targets = _targets_with_silences(phones, float(times[-1]) + 1.0 if len(times) else 0.0)
    centres = np.array([(start + end) / 2 for start, end, _ in targets])
    reach = np.array([max(COARTICULATION_FLOOR, COARTICULATION_SPREAD * (end - start)) for start, end, _ in targets])
    dominance = np.array([target.dominance for _, _, target in targets])
    values = np.array([(t.jaw, t.width, t.round) for _, _, t in targets], np.float32)
    inside = (times[:, None] >= [s for s, _, _ in targets]) & (times[:, None] < [e for _, e, _ in targets])
    distance = np.maximum(np.abs(times[:, None] - centres) - (np.array([e - s for s, e, _ in targets]) / 2), 0)
    weights = dominance * np.exp(-((distance / reach) ** 2)) * (1 + 3 * inside)
    mouth = (weights @ values) / np.maximum(weights.sum(axis=1, keepdims=True), 1e-6)
    # Louder syllables open wider: scale the jaw by the smoothed energy, never beyond the viseme.
    loudness = _smooth(np.asarray(energy, np.float32), 2)
    mouth[:, 0] *= 0.15 + 0.85 * np.clip(loudness / max(float(loudness.max()), 1e-6), 0, 1)
    return mouth.astype(np.float32)


def _targets_with_silences(phones: Sequence[TimedPhone], end_time: float) -> list[tuple[float, float, Viseme]]:
    """Phones with their visemes, plus closed-mouth silences before, between (long gaps) and after them."""
    ordered = sorted(phones, key=lambda phone: phone.start)
    targets: list[tuple[float, float, Viseme]] = [(-1.0, max(ordered[0].start, 0.0), SILENCE)]
    for previous, phone in zip([None, *ordered[:-1]], ordered, strict=True):
        if previous is not None and phone.start - previous.end >= SILENCE_GAP:
            targets.append((previous.end, phone.start, SILENCE))
        targets.append((phone.start, max(phone.end, phone.start + 0.01), viseme(phone.symbol)))
    targets.append((ordered[-1].end, max(end_time, ordered[-1].end + 1.0), SILENCE))
    return targets


def _energy_mouth(features: AudioFeatures) -> np.ndarray:
    """Mouth from recorded speech: jaw follows loudness, width and rounding follow the spectral tilt."""
    energy = np.asarray(features.energy, np.float32)
    jaw = np.clip((energy - ENERGY_SILENCE) / (1 - ENERGY_SILENCE), 0, 1) ** 0.7
    jaw = _attack_release(jaw, attack=0.85, release=0.45)
    mel = np.asarray(features.log_mel, np.float32)
    bands = mel.shape[1]
    # Spread vowels (i, e) carry more energy high up than rounded ones (o, u): use the high/low balance.
    tilt = mel[:, bands // 3 :].mean(axis=1) - mel[:, : bands // 6].mean(axis=1)
    voiced = energy > ENERGY_SILENCE
    centre = float(np.median(tilt[voiced])) if voiced.any() else 0.0
    spread = float(np.std(tilt[voiced])) + 1e-6 if voiced.any() else 1.0
    shape = np.clip((tilt - centre) / (2 * spread), -1, 1) * (jaw > 0.05)
    width = _smooth(0.5 * shape, 2)
    rounding = _smooth(np.clip(-shape, 0, 1) * 0.7, 2)
    return np.stack([jaw, width, rounding], axis=1).astype(np.float32)


def _attack_release(values: np.ndarray, *, attack: float, release: float) -> np.ndarray:
    """One-pole follower: opens quickly, closes a little slower, like a jaw."""
    out = np.empty_like(values)
    level = 0.0
    for index, value in enumerate(values):
        rate = attack if value > level else release
        level += rate * (float(value) - level)
        out[index] = level
    return out


def _blinks(frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Lid closure per frame: blinks at gamma-distributed intervals, quick to close, slower to open."""
    closure = np.zeros(frames, np.float32)
    t = float(rng.uniform(0.6, 2.0))
    duration = frames / fps
    while t < duration:
        _add_blink(closure, t, fps)
        t += max(BLINK_MIN_INTERVAL, float(rng.gamma(4.0, BLINK_MEAN_INTERVAL / 4.0)))
    return closure


def _add_blink(closure: np.ndarray, start: float, fps: float) -> None:
    times = (np.arange(len(closure)) + 0.5) / fps - start
    closing = np.clip(times / BLINK_CLOSE, 0, 1)
    opening = np.clip(1 - (times - BLINK_CLOSE - BLINK_HOLD) / BLINK_OPEN, 0, 1)
    shape = np.where(times < BLINK_CLOSE, closing, opening) * (times >= 0)
    np.maximum(closure, np.sin(shape * math.pi / 2) ** 2, out=closure)


def _brows(energy: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Brows lift a little on emphasis (energy rising into a syllable) and drift slowly otherwise."""
    rise = np.clip(np.diff(_smooth(np.asarray(energy, np.float32), 3), prepend=0.0), 0, None)
    emphasis = _smooth((rise > np.quantile(rise, 0.93) if len(rise) > 10 else rise > 1).astype(np.float32), int(fps * 0.25))
    drift = _noise(len(energy), fps, rng, period=4.0)
    both = 0.6 * emphasis / max(float(emphasis.max()), 1e-6) + 0.15 * drift
    asymmetry = 0.05 * _noise(len(energy), fps, rng, period=5.0)
    return np.stack([both + asymmetry, both - asymmetry], axis=1).astype(np.float32)


def _gaze(frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Mostly at the viewer, with small saccades every second or three."""
    gaze = np.zeros((frames, 2), np.float32)
    t, target = 0.0, np.zeros(2, np.float32)
    while t < frames / fps:
        start = int(t * fps)
        gaze[start:] = target
        t += float(rng.uniform(1.0, 3.0))
        target = (rng.normal(0, [0.25, 0.12]) if rng.random() < 0.6 else np.zeros(2)).astype(np.float32)
    return np.clip(_smooth_rows(gaze, 1), -1, 1)


def _head(energy: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Yaw, pitch, roll (degrees) and x, y (face widths): slow sway plus small nods with the speech."""
    frames = len(energy)
    nod = _smooth(np.asarray(energy, np.float32), int(fps * 0.2))
    yaw = 2.5 * _noise(frames, fps, rng, period=3.5)
    pitch = 1.5 * _noise(frames, fps, rng, period=3.0) + 2.0 * (nod - float(nod.mean()) if frames else 0)
    roll = 1.2 * _noise(frames, fps, rng, period=4.5)
    x = 0.012 * _noise(frames, fps, rng, period=5.0)
    y = 0.008 * _noise(frames, fps, rng, period=4.0)
    return np.stack([yaw, pitch, roll, x, y], axis=1).astype(np.float32)


def _noise(frames: int, fps: float, rng: np.random.Generator, *, period: float) -> np.ndarray:
    """Smooth seeded noise in about [-1, 1]: three sinusoids around the given period, random phases."""
    t = np.arange(frames) / fps
    out = np.zeros(frames, np.float32)
    for factor in (1.0, 0.57, 1.73):
        out += np.sin(2 * math.pi * t / (period * factor) + rng.uniform(0, 2 * math.pi)).astype(np.float32) / 2
    return out / 1.5


def _smooth(values: np.ndarray, radius: int) -> np.ndarray:
    """Centred moving average (edges use the available samples), keeping length."""
    radius = min(radius, (len(values) - 1) // 2)  # a kernel longer than the values would lengthen them
    if radius <= 0:
        return np.asarray(values, np.float32)
    kernel = np.ones(2 * radius + 1, np.float32)
    total = np.convolve(values, kernel, mode="same")
    count = np.convolve(np.ones_like(values), kernel, mode="same")
    return (total / count).astype(np.float32)


def _smooth_rows(values: np.ndarray, radius: int) -> np.ndarray:
    return np.stack([_smooth(values[:, column], radius) for column in range(values.shape[1])], axis=1)
