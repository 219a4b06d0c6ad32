"""The incremental motion session: chunks in, final frames out, the whole-clip stream as one push."""

import numpy as np
import pytest

from engine.features import AudioFeatures, audio_features
from engine.motion import FIELD, LOOKAHEAD_SECONDS, MOTION_SIZE, BaselineMotion
from engine.tests.test_motion import FPS, RATE, SYLLABLES, _at, _speechlike

PROCEDURAL = [FIELD[name] for name in ("blink_l", "blink_r", "gaze_x", "gaze_y", "head_yaw", "head_roll", "head_x", "head_y")]


def _features(duration: float = 3.0, voiced=((0.5, 1.3),)) -> AudioFeatures:
    return audio_features(_speechlike(duration, list(voiced)), RATE, fps=FPS)


def _chunks(features: AudioFeatures, frames: int) -> list[AudioFeatures]:
    return [
        AudioFeatures(
            features.fps, features.sample_rate, features.log_mel[start : start + frames], features.energy[start : start + frames]
        )
        for start in range(0, features.frames, frames)
    ]


def _run_chunked(features: AudioFeatures, phones=SYLLABLES, *, frames: int = 5, seed: int = 0, style: str = "speaking"):
    """Push the features a few frames at a time (phones with the chunk in which they start); per push, what came out."""
    session = BaselineMotion().open(seed=seed, style=style)
    released = []
    for index, chunk in enumerate(_chunks(features, frames)):
        start, end = index * frames / FPS, (index + 1) * frames / FPS
        released.append(session.push(chunk, [phone for phone in phones if start <= phone.start < end]))
    released.append(session.close())
    return released


def test_every_frame_comes_out_once_and_in_time():
    features = _features()
    released = _run_chunked(features)
    assert sum(len(batch) for batch in released) == features.frames
    assert all(vector.shape == (MOTION_SIZE,) and vector.dtype == np.float32 for batch in released for vector in batch)
    lag = int(np.ceil(LOOKAHEAD_SECONDS * FPS))
    sent = 0
    for index, batch in enumerate(released[:-1]):
        sent += len(batch)
        pushed = min((index + 1) * 5, features.frames)
        assert sent == max(0, pushed - lag)  # a frame waits only for its look-ahead, never longer


def test_nothing_is_final_before_its_look_ahead():
    session = BaselineMotion().open(seed=3)
    first = _chunks(_features(), 3)[0]
    assert session.push(first, []) == []
    assert len(session.close()) == 3


def test_the_whole_clip_stream_is_one_push_and_a_close():
    features = _features()
    session = BaselineMotion().open(seed=5)
    whole = np.stack([*session.push(features, SYLLABLES), *session.close()])
    assert np.array_equal(whole, np.stack(list(BaselineMotion().stream(features, SYLLABLES, seed=5))))


def test_chunked_idle_motion_matches_the_whole_clip():
    features = _features(duration=6.0)
    chunked = np.stack([vector for batch in _run_chunked(features, seed=9) for vector in batch])
    whole = np.stack(list(BaselineMotion().stream(features, SYLLABLES, seed=9)))
    assert np.allclose(chunked[:, PROCEDURAL], whole[:, PROCEDURAL], atol=1e-5)
    assert chunked[:, PROCEDURAL].std() > 0


def test_chunked_speech_still_opens_on_vowels_and_closes_in_silence():
    jaw = np.stack([vector for batch in _run_chunked(_features()) for vector in batch])[:, FIELD["jaw_open"]]
    assert jaw[_at(0.65)] > 0.3 and jaw[_at(1.0)] > 0.3
    assert jaw[: _at(0.3)].max() < 0.05 and jaw[_at(1.8) :].max() < 0.05


def test_the_same_chunks_and_seed_give_the_same_frames():
    one = np.stack([vector for batch in _run_chunked(_features(), seed=4) for vector in batch])
    two = np.stack([vector for batch in _run_chunked(_features(), seed=4) for vector in batch])
    assert np.array_equal(one, two)


def test_a_listener_keeps_the_mouth_shut_but_stays_alive():
    motion = np.stack([vector for batch in _run_chunked(_features(duration=8.0), style="listening") for vector in batch])
    assert np.abs(motion[:, [FIELD["jaw_open"], FIELD["lip_width"], FIELD["lip_round"]]]).max() == 0
    assert motion[:, FIELD["blink_l"]].max() > 0.9
    assert motion[:, FIELD["head_yaw"]].std() > 0


def test_misuse_is_refused_clearly():
    with pytest.raises(ValueError, match="style"):
        BaselineMotion().open(style="dancing")
    session = BaselineMotion().open()
    features = _features(duration=1.0)
    session.push(features, [])
    other_rate = audio_features(_speechlike(1.0, []), RATE, fps=30.0)
    with pytest.raises(ValueError, match="fps"):
        session.push(other_rate, [])
    session.close()
    with pytest.raises(ValueError, match="closed"):
        session.push(features, [])
