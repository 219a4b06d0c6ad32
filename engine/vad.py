"""Voice activity per video frame, so noise and music in a recording do not move the mouth.

Loudness alone cannot tell a voice from a fan, traffic or a backing track: a recording's pauses
are rarely silent. Silero VAD (MIT, shipped with its ONNX model in the silero-vad package) gives
the probability of speech in every 32 ms window of 16 kHz audio; it runs here through
onnxruntime, one thread, about 0.4 ms a window. The windows become speech segments by the rules
and defaults of the model's own segmenter (get_speech_timestamps): speech starts at a probability
of 0.5, ends after 100 ms below 0.35, segments shorter than 250 ms are dropped (a drum hit, a
piano onset) and each keeps 30 ms of padding. None of these numbers was tuned here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import onnxruntime
from scipy.signal import resample_poly

MODEL_RATE = 16000
WINDOW = 512  # samples the model takes at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window the model sees before each one
SPEECH_ON = 0.5
SPEECH_OFF = SPEECH_ON - 0.15
MIN_SPEECH_SECONDS = 0.25
MIN_SILENCE_SECONDS = 0.1
PAD_SECONDS = 0.03
WINDOW_SECONDS = WINDOW / MODEL_RATE


@cache
def _session() -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    model = resources.files("silero_vad.data").joinpath("silero_vad.onnx")
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


def speech_probability(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The model's speech probability for each 32 ms window of the audio (resampled to 16 kHz)."""
    audio = np.asarray(samples, np.float32)
    if sample_rate != MODEL_RATE:
        divisor = np.gcd(MODEL_RATE, sample_rate)
        audio = resample_poly(audio, MODEL_RATE // divisor, sample_rate // divisor).astype(np.float32)
    windows = -(-audio.size // WINDOW)
    padded = np.zeros(CONTEXT + windows * WINDOW, np.float32)
    padded[CONTEXT : CONTEXT + audio.size] = audio
    session, state, rate = _session(), np.zeros((2, 1, 128), np.float32), np.array(MODEL_RATE, np.int64)
    probability = np.empty(windows, np.float32)
    for index in range(windows):
        chunk = padded[index * WINDOW : index * WINDOW + CONTEXT + WINDOW][None, :]
        output, state = session.run(None, {"input": chunk, "state": state, "sr": rate})
        probability[index] = output[0, 0]
    return probability


def speech_segments(probability: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of speech in the windows' probabilities."""
    segments: list[tuple[float, float]] = []
    start: int | None = None
    quiet_since: int | None = None
    for index, value in enumerate(probability):
        if value >= SPEECH_ON:
            start = index if start is None else start
            quiet_since = None
        elif start is not None and value < SPEECH_OFF:
            quiet_since = index if quiet_since is None else quiet_since
            if (index + 1 - quiet_since) * WINDOW_SECONDS >= MIN_SILENCE_SECONDS:
                segments.append((start * WINDOW_SECONDS, quiet_since * WINDOW_SECONDS))
                start = quiet_since = None
    if start is not None:
        segments.append((start * WINDOW_SECONDS, (quiet_since or probability.size) * WINDOW_SECONDS))
    return [(begin - PAD_SECONDS, end + PAD_SECONDS) for begin, end in segments if end - begin >= MIN_SPEECH_SECONDS]


def voice_gate(samples: np.ndarray, sample_rate: int, *, frames: int, fps: float) -> np.ndarray:
    """1.0 for video frames with speech, 0.0 for the rest; one value per frame, frame i covering [i/fps, (i+1)/fps)."""
    gate = np.zeros(frames, np.float32)
    for begin, end in speech_segments(speech_probability(samples, sample_rate)):
        gate[max(0, int(np.floor(begin * fps))) : max(0, int(np.ceil(end * fps)))] = 1.0
    return gate
