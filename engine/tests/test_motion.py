"""The baseline motion model: shapes, timing alignment, silence, blinks, determinism."""

from dataclasses import dataclass

import numpy as np
import pytest

from engine.features import audio_features
from engine.motion import FIELD, MOTION_SIZE, BaselineMotion, viseme

FPS = 25.0
RATE = 16000


@dataclass(frozen=True)
class Phone:
    symbol: str
    start: float
    end: float


def _speechlike(duration: float, voiced: list[tuple[float, float]]) -> np.ndarray:
    """A 140 Hz buzz inside the voiced spans, silence elsewhere."""
    t = np.arange(int(duration * RATE)) / RATE
    gate = np.zeros_like(t)
    for start, end in voiced:
        gate[(t >= start) & (t < end)] = 1.0
    return (0.4 * np.sign(np.sin(2 * np.pi * 140 * t)) * gate).astype(np.float32)


def _phones(spec: list[tuple[str, float, float]]) -> list[Phone]:
    return [Phone(symbol, start, end) for symbol, start, end in spec]


SYLLABLES = _phones([("h", 0.50, 0.58), ("ɑ", 0.58, 0.80), ("m", 0.80, 0.90), ("ɑ", 0.90, 1.15), ("s", 1.15, 1.30)])


def _stream(phones, duration=2.0, voiced=((0.5, 1.3),), seed=0) -> np.ndarray:
    features = audio_features(_speechlike(duration, list(voiced)), RATE, fps=FPS)
    return np.stack(list(BaselineMotion().stream(features, phones, seed=seed)))


def _at(seconds: float) -> int:
    return int(seconds * FPS)


def test_one_vector_per_frame():
    motion = _stream(SYLLABLES)
    assert motion.shape == (50, MOTION_SIZE)
    assert motion.dtype == np.float32
    assert np.isfinite(motion).all()


def test_the_mouth_is_closed_in_silence_and_open_on_vowels():
    jaw = _stream(SYLLABLES)[:, FIELD["jaw_open"]]
    assert jaw[: _at(0.4)].max() < 0.05
    assert jaw[_at(1.5) :].max() < 0.05
    assert jaw[_at(0.69)] > 0.4 and jaw[_at(1.02)] > 0.4


def test_bilabials_close_the_lips_between_vowels():
    jaw = _stream(SYLLABLES)[:, FIELD["jaw_open"]]
    assert jaw[_at(0.85)] < 0.35 * min(jaw[_at(0.69)], jaw[_at(1.02)])


def test_the_mouth_moves_with_the_timings():
    shifted = _phones([(p.symbol, p.start + 0.4, p.end + 0.4) for p in SYLLABLES])
    early = _stream(SYLLABLES, duration=3.0)[:, FIELD["jaw_open"]]
    late = _stream(shifted, duration=3.0, voiced=((0.9, 1.7),))[:, FIELD["jaw_open"]]
    lags = range(-20, 21)
    best = max(lags, key=lambda lag: float(np.dot(np.roll(early, lag), late)))
    assert best == 10  # 0.4 s at 25 fps


def test_a_long_pause_closes_the_mouth_between_words():
    phones = _phones([("ɑ", 0.3, 0.6), ("ɑ", 1.4, 1.7)])
    jaw = _stream(phones, duration=2.2, voiced=((0.3, 0.6), (1.4, 1.7)))[:, FIELD["jaw_open"]]
    assert jaw[_at(1.0)] < 0.05
    assert jaw[_at(0.45)] > 0.4


def test_rounded_and_spread_vowels_shape_the_lips():
    assert viseme("uː").round > 0.8 > viseme("iː").round
    assert viseme("iː").width > 0.5 > viseme("uː").width
    assert viseme("ˈa").jaw > viseme("i").jaw
    assert viseme("").jaw == 0


def test_recorded_speech_without_timings_follows_the_energy():
    voiced = [(0.3, 0.7), (1.2, 1.8)]
    motion = _stream([], duration=2.5, voiced=voiced)
    jaw = motion[:, FIELD["jaw_open"]]
    assert jaw[_at(0.5)] > 0.5 and jaw[_at(1.5)] > 0.5
    assert jaw[_at(1.0)] < 0.1 and jaw[_at(2.3)] < 0.1


def test_blinks_come_at_a_natural_rate():
    motion = _stream([], duration=60.0, voiced=[])
    closed = motion[:, FIELD["blink_l"]] > 0.5
    blinks = int(np.sum(closed[1:] & ~closed[:-1]))
    assert 8 <= blinks <= 30
    assert np.array_equal(motion[:, FIELD["blink_l"]], motion[:, FIELD["blink_r"]])


def test_head_and_brows_move_subtly():
    motion = _stream(SYLLABLES, duration=10.0)
    assert 0.3 < np.abs(motion[:, FIELD["head_yaw"]]).max() <= 4.0
    assert np.abs(motion[:, FIELD["head_roll"]]).max() <= 2.0
    assert np.abs(motion[:, FIELD["brow_l"]]).max() <= 1.0
    # Smooth: no jumps bigger than a fraction of a degree between frames.
    assert np.abs(np.diff(motion[:, FIELD["head_yaw"]])).max() < 0.5


@pytest.mark.parametrize("seed", [0, 7])
def test_deterministic_for_a_seed(seed):
    assert np.array_equal(_stream(SYLLABLES, seed=seed), _stream(SYLLABLES, seed=seed))


def test_seeds_change_the_idle_motion_not_the_speech():
    one, other = _stream(SYLLABLES, duration=6.0, seed=1), _stream(SYLLABLES, duration=6.0, seed=2)
    assert np.array_equal(one[:, FIELD["jaw_open"]], other[:, FIELD["jaw_open"]])
    assert not np.array_equal(one[:, FIELD["head_yaw"]], other[:, FIELD["head_yaw"]])
