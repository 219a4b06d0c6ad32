"""Carry timings from one recording of a text onto another recording of the same text.

Used for the Piper voice: its phone timings exist inside the network but are only exposed by a
model patched with the ``onnx`` package, which cannot be installed next to mediapipe (protobuf
conflict). eSpeak NG, which Piper uses for phonemization anyway, says the same words with exact
phone timings, so those timings are mapped onto Piper's audio by dynamic time warping (DTW).

Design notes
------------
* Features are 12 mel cepstra (DCT of the 40-band log-mel from ``features.audio_features``) at
  100 frames per second, normalized per recording so that differences of voice (pitch, vocal tract,
  loudness) cancel out, plus a loudness track floored at -70 dB that makes pauses line up with
  pauses. Cross-speaker DTW on such features is the textbook approach; on two eSpeak voices with
  known timings (different accent, pitch and rate) it places word starts with a median error of
  about 3 ms and worst cases around 60 ms.
* The warping path is confined to a band around the diagonal, where the diagonal already absorbs
  a difference in overall speed; real renditions stray from it by well under a second over a
  minute of speech. The band keeps memory and time linear in duration: a 10 s clip aligns in
  tens of milliseconds.
* Each row of the DTW is computed at once: the horizontal step is a running minimum over prefix
  sums (``D[j] = S[j] + min_{k<=j}(a[k] - S[k])``), so the only Python loop is over frames of
  one recording.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from engine.features import audio_features

FRAME_RATE = 100.0
N_MELS = 40
N_CEPSTRA = 12
LOUDNESS_FLOOR = -8.0  # natural-log magnitude below the loudest frame, about -70 dB
LOUDNESS_WEIGHT = 2.0
MIN_BAND_FRAMES = 100
MAX_BAND_FRAMES = 400
BAND_FRACTION = 0.1
ROWS_PER_CHUNK = 128


def warp_times(reference: np.ndarray, reference_rate: int, target: np.ndarray, target_rate: int, times: np.ndarray) -> np.ndarray:
    """Map ``times`` (seconds in ``reference``) to the matching seconds in ``target``; monotonic, within ``target``."""
    times = np.asarray(times, dtype=np.float64)
    target_duration = target.size / target_rate
    x, y = _features(reference, reference_rate), _features(target, target_rate)
    if len(x) < 2 or len(y) < 2:
        return np.clip(times * target_duration / max(reference.size / reference_rate, 1e-9), 0.0, target_duration)
    band = int(np.clip(BAND_FRACTION * max(len(x), len(y)), MIN_BAND_FRAMES, MAX_BAND_FRAMES))
    path = _path(x, y, band)
    sums = np.bincount(path[:, 0], weights=path[:, 1], minlength=len(x))
    counts = np.bincount(path[:, 0], minlength=len(x))
    target_frame = sums / np.maximum(counts, 1)  # every reference frame is on the path at least once
    mapped = np.interp(times * FRAME_RATE, np.arange(len(x)) + 0.5, target_frame + 0.5) / FRAME_RATE
    return np.clip(mapped, 0.0, target_duration)


def _features(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-frame cepstra standardized over the recording, plus the weighted loudness track."""
    log_mel = audio_features(samples, sample_rate, fps=FRAME_RATE, n_mels=N_MELS).log_mel.astype(np.float64)
    if len(log_mel) == 0:
        return np.zeros((0, N_CEPSTRA + 1))
    cepstra = log_mel @ _dct(N_MELS)[1 : N_CEPSTRA + 1].T
    loudness = log_mel.mean(axis=1, keepdims=True)
    loudness = np.maximum(loudness - loudness.max(), LOUDNESS_FLOOR)
    return np.hstack([_standardized(cepstra), LOUDNESS_WEIGHT * _standardized(loudness)])


@lru_cache(maxsize=4)
def _dct(size: int) -> np.ndarray:
    """DCT-II basis, one row per coefficient."""
    k = np.arange(size)
    return np.cos(np.pi / size * (k[None, :] + 0.5) * k[:, None])


def _standardized(values: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column (a constant column stays zero)."""
    centered = values - values.mean(axis=0)
    return centered / np.maximum(values.std(axis=0), 1e-6)


def _path(x: np.ndarray, y: np.ndarray, band: int) -> np.ndarray:
    """Cheapest monotonic path from (0, 0) to (n-1, m-1) with unit steps, as (length, 2) frame pairs."""
    n, m = len(x), len(y)
    width = min(2 * band + 1, m)
    offsets = np.clip(np.round(np.arange(n) * (m - 1) / (n - 1)).astype(np.int64) - band, 0, m - width)
    total = np.empty((n, width))
    previous = None
    for first in range(0, n, ROWS_PER_CHUNK):
        costs = _band_costs(x[first : first + ROWS_PER_CHUNK], y, offsets[first : first + ROWS_PER_CHUNK], width)
        for row, cost in enumerate(costs):
            i = first + row
            if previous is None:
                total[i] = np.cumsum(cost)
            else:
                shift = offsets[i] - offsets[i - 1]
                padded = np.concatenate(([np.inf], previous, np.full(shift + 1, np.inf)))
                entry = cost + np.minimum(padded[shift + 1 : shift + 1 + width], padded[shift : shift + width])
                prefix = np.cumsum(cost)
                total[i] = prefix + np.minimum.accumulate(entry - prefix)
            previous = total[i]
    return _backtrack(total, offsets, m)


def _band_costs(x: np.ndarray, y: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
    """Euclidean distances from each row of ``x`` to the band of ``y`` frames it may align with."""
    columns = offsets[:, None] + np.arange(width)
    start, stop = int(columns[0, 0]), int(columns[-1, -1]) + 1
    window = y[start:stop]
    squared = (x**2).sum(axis=1)[:, None] + (window**2).sum(axis=1)[None, :] - 2.0 * x @ window.T
    return np.sqrt(np.maximum(np.take_along_axis(squared, columns - start, axis=1), 0.0))


def _backtrack(total: np.ndarray, offsets: np.ndarray, m: int) -> np.ndarray:
    """Walk back from the last cell, always to the cheapest of the three predecessors."""
    width = total.shape[1]

    def cost(i: int, j: int) -> float:
        if i < 0 or not 0 <= j - offsets[i] < width:
            return np.inf
        return total[i, j - offsets[i]]

    i, j = total.shape[0] - 1, m - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        _, i, j = min((cost(i - 1, j - 1), i - 1, j - 1), (cost(i - 1, j), i - 1, j), (cost(i, j - 1), i, j - 1))
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)
