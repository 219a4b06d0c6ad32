"""Audio features must line up with video frames: one row per frame, energy where the voice is."""

import math

import numpy as np
import pytest

from engine.features import AudioFeatures, _mel_filterbank, audio_features, frames_for_duration

SR = 22050


def tone_with_silence(sample_rate: int, seconds: float, on: tuple[float, float], frequency: float = 440.0) -> np.ndarray:
    """A sine during ``on`` (start, end seconds), silence elsewhere: a known energy envelope."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    mask = (t >= on[0]) & (t < on[1])
    return (0.5 * np.sin(2 * np.pi * frequency * t) * mask).astype(np.float32)


def test_one_row_per_video_frame() -> None:
    features = audio_features(tone_with_silence(SR, 2.4, (0.0, 1.2)), SR)
    assert isinstance(features, AudioFeatures)
    assert features.frames == 60
    assert features.log_mel.shape == (60, 80)
    assert features.energy.shape == (60,)
    assert features.log_mel.dtype == np.float32 and features.energy.dtype == np.float32


@pytest.mark.parametrize("seconds", [0.01, 1.0, 2.41, 3.999])
def test_frame_count_is_ceil_of_duration(seconds: float) -> None:
    features = audio_features(np.zeros(round(seconds * SR), dtype=np.float32), SR, n_mels=40)
    assert features.frames == math.ceil(round(seconds * SR) / SR * 25 - 1e-9)
    assert features.log_mel.shape[1] == 40


def test_frames_for_duration_ignores_float_noise() -> None:
    assert (0.1 * 3) * 10 > 3  # the float product overshoots...
    assert frames_for_duration(0.1 * 3, 10) == 3  # ...but the count does not
    assert frames_for_duration(2.4, 25) == 60
    assert frames_for_duration(2.41, 25) == 61
    assert frames_for_duration(0.0, 25) == 0


def test_energy_follows_the_tone_on_the_right_frames() -> None:
    features = audio_features(tone_with_silence(SR, 2.4, (0.4, 1.2)), SR)
    assert features.energy.max() == pytest.approx(1.0)
    assert np.all(features.energy[:9] < 0.01)  # silence before 0.4 s = frame 10
    assert np.all(features.energy[11:29] > 0.9)  # tone in frames 10..29 (±1)
    assert np.all(features.energy[31:] < 0.01)  # silence from 1.2 s = frame 30


def test_log_mel_is_finite_and_louder_during_the_tone() -> None:
    features = audio_features(tone_with_silence(SR, 2.4, (0.0, 1.2)), SR)
    assert np.isfinite(features.log_mel).all()
    assert features.log_mel[5].max() > features.log_mel[50].max() + 5


def test_int16_input_matches_float() -> None:
    tone = tone_with_silence(SR, 1.0, (0.2, 0.6))
    as_int16 = np.round(tone * 32767).astype(np.int16)
    from_int = audio_features(as_int16, SR)
    from_float = audio_features(tone, SR)
    assert from_int.frames == from_float.frames
    np.testing.assert_allclose(from_int.energy, from_float.energy, atol=1e-3)
    audible = from_float.log_mel > -4  # near the log floor, int16 quantization noise dominates
    np.testing.assert_allclose(from_int.log_mel[audible], from_float.log_mel[audible], atol=0.05)


def test_other_fps_with_a_fractional_hop_stays_aligned() -> None:
    # 16000 / 30 = 533.33 samples per frame: alignment must not drift.
    features = audio_features(tone_with_silence(16000, 3.0, (1.5, 2.5)), 16000, fps=30)
    assert features.frames == 90 and features.fps == 30
    assert np.all(features.energy[:44] < 0.01)  # tone starts at 1.5 s = frame 45
    assert np.all(features.energy[46:74] > 0.9)  # and ends at 2.5 s = frame 75
    assert np.all(features.energy[76:] < 0.01)


def test_silence_has_zero_energy_not_amplified_noise() -> None:
    features = audio_features(np.full(SR, 1e-6, dtype=np.float32), SR)
    assert np.all(features.energy == 0.0)
    assert np.isfinite(features.log_mel).all()


def test_stereo_is_downmixed() -> None:
    tone = tone_with_silence(SR, 1.0, (0.0, 0.5))
    stereo = np.stack([tone, tone], axis=1)
    np.testing.assert_allclose(audio_features(stereo, SR).energy, audio_features(tone, SR).energy, atol=1e-6)


def test_filterbank_is_built_once_per_configuration() -> None:
    first = _mel_filterbank(SR, 2048, 80)
    assert _mel_filterbank(SR, 2048, 80) is first
    assert first.shape == (80, 1025)
    assert np.all(first.numpy().sum(axis=1) > 0)  # no empty mel bands
