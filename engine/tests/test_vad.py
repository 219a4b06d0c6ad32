"""The voice-activity gate: a recording whose pauses hold noise or music keeps the mouth closed in them.

The recordings are speech from two voices with pauses filled with white noise, brown noise, a fan-
like hum and a chord progression with a beat, at levels from quiet to as loud as the voice. The
gate's thresholds are the model's defaults; nothing here was tuned on these recordings.
"""

import dataclasses
import math

import numpy as np
import pytest

from engine import speech, vad
from engine.features import audio_features
from engine.motion import FIELD, BaselineMotion

FPS = 25.0
RATE = speech.SAMPLE_RATE
PAUSE_SECONDS = 1.2
CLOSED = 0.05  # jaw opening below which the mouth reads as closed


def white(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(int(seconds * RATE)).astype(np.float32)


def brown(seconds: float, rng: np.random.Generator) -> np.ndarray:
    walk = np.cumsum(rng.standard_normal(int(seconds * RATE)))
    walk -= np.convolve(walk, np.ones(2001) / 2001, mode="same")  # keep it from drifting away
    return walk.astype(np.float32)


def hum(seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * math.pi * 120 * t) + 0.5 * np.sin(2 * math.pi * 240 * t) + 0.3 * rng.standard_normal(t.size)).astype(
        np.float32
    )


def music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Chords that change every half second over a kick drum on the beat."""
    t = np.arange(int(seconds * RATE)) / RATE
    roots = 220 * 2 ** (rng.choice([0, 3, 5, 7, 10], size=int(seconds * 2) + 1) / 12)
    root = roots[(t * 2).astype(int)]
    chord = sum(np.sin(2 * math.pi * root * ratio * t) for ratio in (1, 1.25, 1.5, 2))
    beat = np.exp(-((t % 0.5) * 30)) * np.sin(2 * math.pi * 60 * t)
    return (chord + 2 * beat).astype(np.float32)


BACKGROUNDS = {"white": white, "brown": brown, "hum": hum, "music": music}


def at_level(signal: np.ndarray, rms: float) -> np.ndarray:
    return signal * (rms / (float(np.sqrt(np.mean(signal**2))) + 1e-12))


def recording(voice: str, background: str, relative_level: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two sentences with a pause of background before, between and after; and which frames are speech."""
    rng = np.random.default_rng(seed)
    sentences = [speech.synthesize(text, voice).samples for text in ("Hello there, how are you today?", "I am quite well.")]
    voice_rms = float(np.sqrt(np.mean(np.concatenate(sentences) ** 2)))
    parts, is_speech = [], []
    for sentence in [None, sentences[0], None, sentences[1], None]:
        pause = sentence is None
        part = at_level(BACKGROUNDS[background](PAUSE_SECONDS, rng), voice_rms * relative_level) if pause else sentence
        parts.append(part)
        is_speech.append(np.full(part.size, not pause))
    samples = np.concatenate(parts)
    peak = float(np.abs(samples).max())
    return (samples / peak * 0.9).astype(np.float32), np.concatenate(is_speech)


def frame_truth(is_speech: np.ndarray, frames: int) -> np.ndarray:
    """Per video frame: pause (0), speech (1), or within 0.2 s of a boundary (-1, not judged)."""
    seconds = (np.arange(frames) + 0.5) / FPS
    sample = np.minimum((seconds * RATE).astype(int), is_speech.size - 1)
    truth = is_speech[sample].astype(int)
    margin = int(0.2 * RATE)
    edges = np.flatnonzero(np.diff(is_speech.astype(int))) + 1
    for edge in edges:
        near = np.abs(seconds * RATE - edge) < margin
        truth[near] = -1
    return truth


def jaw(samples: np.ndarray, *, gated: bool) -> np.ndarray:
    features = audio_features(samples, RATE, fps=FPS)
    if gated:
        gate = vad.voice_gate(samples, RATE, frames=features.frames, fps=FPS)
        features = dataclasses.replace(features, voice=gate)
    motion = np.stack(list(BaselineMotion().stream(features, (), seed=1)))
    return motion[:, FIELD["jaw_open"]]


CASES = [(voice, background, level) for voice in ("joe", "fiona") for background in BACKGROUNDS for level in (0.1, 0.4, 1.0)]


@pytest.fixture(scope="module")
def measured() -> dict:
    """Closed share of pause frames and open share of speech frames, gated and not, for every case."""
    results = {}
    for index, case in enumerate(CASES):
        samples, is_speech = recording(*case, seed=index)
        for gated in (False, True):
            opening = jaw(samples, gated=gated)
            truth = frame_truth(is_speech, opening.size)
            results[(*case, gated)] = (
                float(np.mean(opening[truth == 0] < CLOSED)),
                float(np.mean(opening[truth == 1] >= CLOSED)),
            )
    return results


def test_noise_and_music_in_pauses_keep_the_mouth_closed(measured):
    closed = [measured[(*case, True)][0] for case in CASES]
    ungated = [measured[(*case, False)][0] for case in CASES]
    assert np.mean(closed) >= 0.95, dict(zip(CASES, closed, strict=True))
    assert np.mean(closed) > np.mean(ungated) + 0.2  # without the gate, loud backgrounds move the mouth


def test_the_mouth_still_moves_while_the_voice_speaks(measured):
    moving = [measured[(*case, True)][1] for case in CASES]
    assert np.mean(moving) >= 0.6, dict(zip(CASES, moving, strict=True))


def test_a_clean_recording_is_all_speech_where_it_speaks():
    samples = speech.synthesize("A quiet room, and a clear voice.", "ada").samples
    gate = vad.voice_gate(samples, RATE, frames=math.ceil(samples.size / RATE * FPS), fps=FPS)
    assert gate.mean() > 0.6


def test_silence_has_no_voice():
    gate = vad.voice_gate(np.zeros(RATE, np.float32), RATE, frames=25, fps=FPS)
    assert gate.shape == (25,) and not gate.any()
