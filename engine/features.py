"""Per-video-frame audio features: log-mel spectrogram and normalized RMS energy.

Every row belongs to one video frame: row ``i`` describes the audio in ``[i/fps, (i+1)/fps)``,
so a lip-sync model can index features by frame number without resampling or drift.

Design notes
------------
* Frame count is ``ceil(duration * fps)``: the last, partial frame still gets a row, so the
  video never ends before the audio.
* The hop is ``sample_rate / fps`` exactly, even when that is not an integer (16 kHz at 30 fps
  is 533.33 samples). Frame windows are therefore gathered at exact per-frame centers and
  transformed with ``torch.fft.rfft`` rather than ``torch.stft``, whose integer hop would drift
  by up to a frame over a minute of audio. The arithmetic is the same as an STFT.
* The analysis window is a periodic Hann window of about two hops, centered on the middle of
  the frame's interval; the FFT size is the next power of two. The signal is zero-padded at
  both ends so the first and last frames are centered too.
* The mel filterbank is Slaney-style (linear below 1 kHz, logarithmic above, area-normalized
  triangles), the same as librosa's default, spanning 0 Hz to Nyquist. It is built once per
  ``(sample_rate, n_fft, n_mels)`` and cached.
* ``log_mel`` is ``ln(max(mel_magnitude, 1e-5))`` (magnitude, not power, as HiFi-GAN-style
  vocoders and Wav2Lip-style models expect).
* ``energy`` is the RMS of the samples inside each frame's own interval (not the wider window,
  so it is sharply aligned), divided by the loudest frame's RMS so it spans 0..1 over the clip.
  A clip whose loudest frame is below ``SILENCE_RMS`` (about -80 dBFS) is all zeros rather than
  amplified noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

LOG_FLOOR = 1e-5
SILENCE_RMS = 1e-4
FRAMES_PER_CHUNK = 512


@dataclass(frozen=True)
class AudioFeatures:
    """Audio features with exactly one row per video frame."""

    fps: float
    sample_rate: int
    log_mel: np.ndarray  # (frames, n_mels) float32
    energy: np.ndarray  # (frames,) float32, 0..1 (RMS / loudest frame's RMS)
    voice: np.ndarray | None = None  # (frames,) 1.0 where someone speaks (engine.vad), for recordings; None: all of it

    @property
    def frames(self) -> int:
        """Number of video frames the features cover."""
        return int(self.log_mel.shape[0])


def frames_for_duration(seconds: float, fps: float) -> int:
    """Video frames needed to cover ``seconds``: ``ceil(seconds * fps)``.

    The product is rounded to 6 decimals first so float noise (2.4 * 25 = 60.000000000000007)
    does not add a spurious frame.
    """
    if seconds < 0 or fps <= 0:
        raise ValueError(f"need seconds >= 0 and fps > 0, got seconds={seconds}, fps={fps}")
    return math.ceil(round(seconds * fps, 6))


def audio_features(samples: np.ndarray, sample_rate: int, *, fps: float = 25.0, n_mels: int = 80) -> AudioFeatures:
    """Log-mel and energy features for mono audio, one row per video frame at ``fps``."""
    if sample_rate <= 0 or fps <= 0 or n_mels <= 0:
        raise ValueError(f"sample_rate, fps and n_mels must be positive, got {sample_rate}, {fps}, {n_mels}")
    audio = _as_mono_float32(samples)
    frames = frames_for_duration(audio.size / sample_rate, fps)
    hop = sample_rate / fps
    window_length = max(2, 2 * round(hop))
    n_fft = 1 << (window_length - 1).bit_length()
    log_mel = _log_mel(audio, frames, hop, window_length, n_fft, _mel_filterbank(sample_rate, n_fft, n_mels))
    energy = _normalized_energy(audio, frames, hop)
    return AudioFeatures(fps=fps, sample_rate=sample_rate, log_mel=log_mel, energy=energy)


def _as_mono_float32(samples: np.ndarray) -> np.ndarray:
    """Float32 mono in [-1, 1]; int16 is scaled by 1/32768 and (n, channels) arrays are averaged."""
    array = np.asarray(samples)
    if array.dtype == np.int16:
        array = array.astype(np.float32) / 32768.0
    elif array.dtype.kind != "f":
        raise ValueError(f"expected float or int16 samples, got {array.dtype}")
    if array.ndim == 2:
        array = array.mean(axis=1)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples of shape (n,) or (n, channels), got shape {array.shape}")
    return array.astype(np.float32, copy=False)


def _frame_bounds(frames: int, hop: float, length: int) -> np.ndarray:
    """Sample index where each frame starts, plus the end; frame ``i`` covers ``[i*hop, (i+1)*hop)``."""
    return np.minimum(np.round(np.arange(frames + 1) * hop).astype(np.int64), length)


def _normalized_energy(audio: np.ndarray, frames: int, hop: float) -> np.ndarray:
    """RMS per frame interval, divided by the clip's loudest frame (zeros for a silent clip)."""
    bounds = _frame_bounds(frames, hop, audio.size)
    cumulative = np.concatenate(([0.0], np.cumsum(audio.astype(np.float64) ** 2)))
    counts = np.maximum(bounds[1:] - bounds[:-1], 1)
    rms = np.sqrt((cumulative[bounds[1:]] - cumulative[bounds[:-1]]) / counts)
    peak = float(rms.max()) if rms.size else 0.0
    if peak < SILENCE_RMS:
        return np.zeros(frames, dtype=np.float32)
    return (rms / peak).astype(np.float32)


def _log_mel(audio: np.ndarray, frames: int, hop: float, window_length: int, n_fft: int, filterbank: torch.Tensor) -> np.ndarray:
    """Windowed FFT at each frame's exact center, mapped to mel and logged; chunked to bound memory."""
    padded = torch.from_numpy(np.pad(audio, (window_length, window_length)))
    window = torch.hann_window(window_length, periodic=True, dtype=torch.float32)
    starts = torch.from_numpy(np.round((np.arange(frames) + 0.5) * hop - window_length / 2).astype(np.int64)) + window_length
    offsets = torch.arange(window_length)
    rows = []
    for first in range(0, frames, FRAMES_PER_CHUNK):
        segments = padded[starts[first : first + FRAMES_PER_CHUNK, None] + offsets] * window
        magnitude = torch.fft.rfft(segments, n=n_fft).abs()
        rows.append(torch.log(torch.clamp(magnitude @ filterbank.T, min=LOG_FLOOR)))
    if not rows:
        return np.zeros((0, filterbank.shape[0]), dtype=np.float32)
    return torch.cat(rows).numpy().astype(np.float32, copy=False)


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney mel scale: linear (3 mels per 200 Hz) below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3.0)
    logstep = math.log(6.4) / 27.0
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / logstep, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of the Slaney mel scale."""
    mel = np.asarray(mel, dtype=np.float64)
    logstep = math.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(logstep * (mel - 15.0)), mel * (200.0 / 3.0))


@lru_cache(maxsize=16)
def _mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> torch.Tensor:
    """Slaney-normalized triangular filters, (n_mels, n_fft // 2 + 1); cached because it is pure and reused per clip."""
    fft_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0), n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return torch.from_numpy(weights.astype(np.float32))
