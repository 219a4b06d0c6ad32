"""Invisible, codec-robust watermark: every generated frame carries a payload that ties it to its clip.

Design, and why:

* Pattern and band. The mark is one TILE×TILE (128 px) luma tile repeated over the frame. Its spectrum
  sits only on the tile's Fourier lattice inside a mid band of 3–16 cycles per tile (periods of 8–43 px):
  low enough to survive H.264 at CRF 28 and a 0.5× downscale, high enough to stay faint. The same offset
  goes to R, G and B, so only luma changes; yuv420p throws chroma detail away first.
* Sync and data. A key-derived random 30 % of the band's coefficients carry a fixed unit-magnitude sync
  spectrum; the other 70 % carry the coded bits, each bit spread over all of them by a random orthonormal
  matrix, so bits are orthogonal and none depends on a frequency the codec happens to drop.
* Code. 64-bit payload + CRC-16, convolutional code (K=7, rate 1/2, 172 coded bits), soft Viterbi.
* Reading. Luma minus a 13×13 box blur, clipped to ±2: the host's edges are heavy-tailed noise, and the
  clip turns the correlator into a robust one. The residual is folded modulo the tile, so any crop is a
  circular shift, found as the peak of a phase-only correlation with the sync. A resized frame (the sync
  is weak at scale 1) gets its scale from a scan of the sync over the frame's spectrum. Soft bits from all
  frames are weighted by their measured noise and summed (the vote), then decoded.
* Decision. A payload is reported only when its CRC matches (a random message passes with p = 2^-16) and
  the voted soft bits fit its codeword clearly better than the best codeword fits random input, so
  unmarked content almost never yields a payload (bench/watermark.py counts false detections).

Limits: scale is searched over 0.4–1.6× (same factor both ways); rotation and flips are not searched; a single
frame under about 200 px holds too little mark, so small video needs the clip's vote. The key is public: the
mark ties frames to clips, it does not resist someone who reads this code and wants to remove it.
"""

import binascii
import functools
import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

PAYLOAD_BITS = 64
DEFAULT_STRENGTH = 2.2  # RMS of the luma offset in 8-bit levels (about 41 dB PSNR)
DEFAULT_KEY = b"marionette/watermark/v1"  # public: keeps the pattern specific, not secret

TILE = 128
BAND = (3.0, 16.0)  # cycles per tile
SYNC_FRACTION = 0.3

CRC_BITS = 16
CONSTRAINT = 7
GENERATORS = (0o171, 0o133)
MESSAGE_BITS = PAYLOAD_BITS + CRC_BITS
CODED_BITS = 2 * (MESSAGE_BITS + CONSTRAINT - 1)

BOX = 13
CLIP = 2
SCALE_FRAMES = 2  # frames that decide the scale of a clip
SCALE_RANGE = (0.4, 1.6)
SCALE_STEP = 0.02  # coarse scan step in log scale
SYNC_ACCEPT = 7.0  # sync peak-to-sidelobe at scale 1 that makes a scale scan unnecessary
SCAN_ACCEPT = 5.0  # best coarse-scan peak-to-sidelobe worth refining (unmarked frames: 4.5 ± 0.3)
SURFACE = 48  # side of the correlation surfaces in the scale scan (band < SURFACE / 2)
# Normalised votes · decoded codeword. The best of 2^80 codewords fits random votes to 0.66 ± 0.01, so 0.70 on
# top of the CRC cuts false payloads by another ~10^4 while the weakest correct decodes seen sit above 0.71.
MIN_CORRELATION = 0.70
RANDOM_CORRELATION = 0.66
CLEAN_CORRELATION = 0.95  # what a clean or lightly compressed mark reaches


@dataclass(frozen=True)
class Detection:
    """What detect() found.

    payload: PAYLOAD_BITS // 8 bytes, or None when no mark was found. confidence: 0..1, at least 0.5 exactly
    when a payload is returned. bit_agreement: mean share of each frame's raw coded bits that match the decoded
    codeword. frames: how many frames were read.
    """

    payload: bytes | None
    confidence: float
    bit_agreement: float
    frames: int

    def to_dict(self) -> dict:
        data = asdict(self)
        data["payload"] = None if self.payload is None else self.payload.hex()
        return data


def new_payload() -> bytes:
    """A random payload for a new clip; 64 bits make collisions between clips negligible."""
    return secrets.token_bytes(PAYLOAD_BITS // 8)


# --- key-derived pattern ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pattern:
    """Where sync and data live in the tile's rfft2 layout, and the bit-spreading matrix."""

    sync_rows: np.ndarray
    sync_cols: np.ndarray
    sync: np.ndarray  # unit complex coefficients
    data_rows: np.ndarray
    data_cols: np.ndarray
    basis: np.ndarray  # (2 · data coefficients) × CODED_BITS, orthonormal columns

    @property
    def sync_u(self) -> np.ndarray:
        """Signed vertical frequency of each sync coefficient, in cycles per tile."""
        return np.where(self.sync_rows > TILE // 2, self.sync_rows - TILE, self.sync_rows)

    @property
    def data_u(self) -> np.ndarray:
        """Signed vertical frequency of each data coefficient."""
        return np.where(self.data_rows > TILE // 2, self.data_rows - TILE, self.data_rows)


@functools.lru_cache(maxsize=4)
def _pattern(key: bytes) -> _Pattern:
    """Split the band between sync and data and draw the spreading matrix, all from the key."""
    u = np.fft.fftfreq(TILE, 1.0 / TILE)[:, None]
    v = np.arange(TILE // 2 + 1)[None, :]
    radius = np.hypot(u, v)
    # v = 0 and v = TILE/2 would need Hermitian pairs inside the rfft layout; leaving them out keeps every
    # coefficient independent.
    rows, cols = np.nonzero((radius >= BAND[0]) & (radius <= BAND[1]) & (v > 0) & (v < TILE // 2))
    order = np.argsort(_uniforms(key, b"split", rows.size), kind="stable")
    n_sync = round(rows.size * SYNC_FRACTION)
    sync, data = np.sort(order[:n_sync]), np.sort(order[n_sync:])
    phases = np.exp(2j * np.pi * _uniforms(key, b"sync", n_sync))
    basis, _ = np.linalg.qr(_normals(key, b"basis", 2 * data.size * CODED_BITS).reshape(2 * data.size, CODED_BITS))
    return _Pattern(rows[sync], cols[sync], phases, rows[data], cols[data], basis)


def _uniforms(key: bytes, label: bytes, count: int) -> np.ndarray:
    """Uniform numbers in (0, 1) from SHAKE-256 of the key: unlike numpy's generators, stable across versions,
    so frames marked today stay readable after an upgrade."""
    words = np.frombuffer(hashlib.shake_256(key + b"/" + label).digest(8 * count), dtype="<u8")
    return ((words >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def _normals(key: bytes, label: bytes, count: int) -> np.ndarray:
    """Standard normal numbers from _uniforms (Box–Muller)."""
    uniform = _uniforms(key, label, 2 * ((count + 1) // 2)).reshape(2, -1)
    radius = np.sqrt(-2.0 * np.log(uniform[0]))
    return np.concatenate([radius * np.cos(2 * np.pi * uniform[1]), radius * np.sin(2 * np.pi * uniform[1])])[:count]


# --- error-correcting code ----------------------------------------------------------------------


def _message_bits(payload: bytes) -> np.ndarray:
    """Payload plus CRC-16 (initial value 0xFFFF, so an all-zero codeword is not valid)."""
    crc = binascii.crc_hqx(payload, 0xFFFF).to_bytes(2, "big")
    return np.unpackbits(np.frombuffer(payload + crc, dtype=np.uint8))


def _register_outputs() -> np.ndarray:
    """±1 output pair for each of the 128 shift-register contents (newest input in the top bit)."""
    registers = np.arange(1 << CONSTRAINT)[:, None]
    parity = np.array([[bin(int(value) & g).count("1") & 1 for g in GENERATORS] for value in registers[:, 0]])
    return 1.0 - 2.0 * parity


_REGISTER_SIGNS = _register_outputs()  # registers × 2
_STATE_MASK = (1 << (CONSTRAINT - 1)) - 1


def codeword(payload: bytes) -> np.ndarray:
    """The CODED_BITS bits (0/1) a payload is embedded as: convolutional code of payload + CRC, zero-terminated."""
    _check_payload(payload)
    return _encode(_message_bits(payload))


def _encode(message: np.ndarray) -> np.ndarray:
    """Rate-1/2 convolution: each output is the parity of the generator's taps over the last CONSTRAINT inputs."""
    padded = np.concatenate([message.astype(np.int64), np.zeros(CONSTRAINT - 1, np.int64)])
    coded = np.empty((padded.size, len(GENERATORS)), np.uint8)
    for index, generator in enumerate(GENERATORS):
        taps = [(generator >> (CONSTRAINT - 1 - k)) & 1 for k in range(CONSTRAINT)]
        coded[:, index] = np.convolve(padded, taps)[: padded.size] % 2
    return coded.ravel()


def _viterbi(soft: np.ndarray) -> np.ndarray:
    """Most likely message for soft coded bits (positive means 0), on the zero-terminated trellis.

    Indexing by register content r = (next state << 1) | oldest bit makes each step one gather, one add and a
    pairwise max: the two ways into a state are the adjacent registers 2s and 2s + 1.
    """
    registers = np.arange(1 << CONSTRAINT)
    previous = registers & _STATE_MASK
    branch = soft.reshape(-1, 2) @ _REGISTER_SIGNS.T  # steps × registers
    metric = np.full(_STATE_MASK + 1, -np.inf)
    metric[0] = 0.0
    choices = np.empty((branch.shape[0], _STATE_MASK + 1), bool)
    for step, row in enumerate(branch):
        candidates = (metric[previous] + row).reshape(-1, 2)
        choices[step] = candidates[:, 1] > candidates[:, 0]
        metric = np.where(choices[step], candidates[:, 1], candidates[:, 0])
    bits, state = np.zeros(branch.shape[0], np.uint8), 0
    for step in range(branch.shape[0] - 1, -1, -1):
        bits[step] = state >> (CONSTRAINT - 2)
        state = ((state << 1) | int(choices[step, state])) & _STATE_MASK
    return bits[:MESSAGE_BITS]


def _check_payload(payload: bytes) -> None:
    if not isinstance(payload, bytes | bytearray) or len(payload) != PAYLOAD_BITS // 8:
        raise ValueError(f"payload must be {PAYLOAD_BITS // 8} bytes")


# --- embedding ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _tile(payload: bytes, strength: float, key: bytes) -> np.ndarray:
    """The payload's luma tile, scaled so its RMS is strength (8-bit levels)."""
    pattern = _pattern(key)
    spread = pattern.basis @ (1.0 - 2.0 * codeword(payload))
    half = pattern.data_rows.size
    # Equal energy per coefficient for sync and data: the data vector has norm sqrt(CODED_BITS).
    spread *= math.sqrt(half / CODED_BITS)
    spectrum = np.zeros((TILE, TILE // 2 + 1), np.complex128)
    spectrum[pattern.sync_rows, pattern.sync_cols] = pattern.sync
    spectrum[pattern.data_rows, pattern.data_cols] = spread[:half] + 1j * spread[half:]
    tile = np.fft.irfft2(spectrum, s=(TILE, TILE))
    return (tile * (strength / np.sqrt(np.mean(tile**2)))).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _frame_offset(payload: bytes, strength: float, key: bytes, height: int, width: int) -> np.ndarray:
    """The tiled, rounded offset for a whole frame, as int16 H×W×3 (one clip reuses it for every frame)."""
    tile = _tile(payload, strength, key)
    tiled = np.tile(tile, (-(-height // TILE), -(-width // TILE)))[:height, :width]
    return np.repeat(np.rint(tiled).astype(np.int16)[:, :, None], 3, axis=2)


def embed(frame: np.ndarray, payload: bytes, *, strength: float = DEFAULT_STRENGTH, key: bytes = DEFAULT_KEY) -> np.ndarray:
    """Mark an RGB uint8 frame (same shape out); adding the same offset to R, G and B changes luma only.

    strength is the RMS of that offset in 8-bit levels; the default gives about 41 dB PSNR.
    """
    _check_payload(payload)
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an RGB uint8 array of shape H×W×3")
    if not math.isfinite(strength) or strength <= 0:
        raise ValueError("strength must be a positive number")
    offset = _frame_offset(bytes(payload), float(strength), key, frame.shape[0], frame.shape[1])
    return cv2.add(np.ascontiguousarray(frame), offset, dtype=cv2.CV_8U)


# --- reading: residual, fold, sync --------------------------------------------------------------


def _luma(frame: np.ndarray) -> np.ndarray:
    """uint8 luma of an RGB (or already grey) frame."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3)):
        raise ValueError("frames must be RGB uint8 arrays of shape H×W×3")
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def _residual(gray: np.ndarray) -> np.ndarray:
    """Luma minus its local mean, clipped: keeps the mark's band and caps the host's strong edges."""
    residual = cv2.subtract(gray, cv2.blur(gray, (BOX, BOX)), dtype=cv2.CV_16S)
    return np.clip(residual, -CLIP, CLIP, out=residual)


def _fold(residual: np.ndarray) -> np.ndarray:
    """Sum the residual modulo the tile (zero-padded), so every tile adds up in one TILE×TILE array."""
    height, width = residual.shape
    padded_h, padded_w = -(-height // TILE) * TILE, -(-width // TILE) * TILE
    if (padded_h, padded_w) != (height, width):
        residual = np.pad(residual, ((0, padded_h - height), (0, padded_w - width)))
    return residual.reshape(padded_h // TILE, TILE, padded_w // TILE, TILE).sum(axis=(0, 2), dtype=np.float32)


def _rescale(gray: np.ndarray, scale: float) -> np.ndarray:
    """Bring a resized frame back to the mark's native scale."""
    if scale == 1.0:
        return gray
    return cv2.resize(gray, None, fx=1.0 / scale, fy=1.0 / scale, interpolation=cv2.INTER_LINEAR)


def _tile_spectrum(gray: np.ndarray, scale: float) -> np.ndarray:
    """The folded residual's spectrum, the one thing the reading keeps of a frame."""
    return np.fft.rfft2(_fold(_residual(_rescale(gray, scale))))


def _sync_surface(spectrum: np.ndarray, pattern: _Pattern) -> np.ndarray:
    """Phase-only correlation of a folded spectrum with the sync; its peak sits at the tile's offset."""
    values = spectrum[pattern.sync_rows, pattern.sync_cols]
    whitened = np.zeros_like(spectrum)
    whitened[pattern.sync_rows, pattern.sync_cols] = values * np.conj(pattern.sync) / np.maximum(np.abs(values), 1e-9)
    return np.fft.irfft2(whitened, s=(TILE, TILE))


def _peak(surface: np.ndarray) -> tuple[float, float, float]:
    """Sub-pixel peak position (row, column) and peak-to-sidelobe ratio of a correlation surface."""
    row, col = (int(index) for index in np.unravel_index(int(np.argmax(surface)), surface.shape))
    spread = float(surface.std())
    ratio = float(surface[row, col] / spread) if spread > 0 else 0.0
    return _vertex(surface[:, col], row), _vertex(surface[row, :], col), ratio


def _vertex(line: np.ndarray, index: int) -> float:
    """Parabolic refinement of a circular peak."""
    before, at, after = line[index - 1], line[index], line[(index + 1) % line.size]
    curvature = before - 2 * at + after
    return float(index + (0.5 * (before - after) / curvature if curvature < 0 else 0.0))


def _summed(arrays: Iterable[np.ndarray]) -> np.ndarray:
    """The sum of one or more arrays, typed as an array (the builtin sum's start value is the int 0)."""
    return functools.reduce(np.add, arrays)


# --- reading: scale -----------------------------------------------------------------------------


def _decide_scale(grays: list[np.ndarray], pattern: _Pattern) -> float:
    """1.0 when the sync is clear at native scale, else the scale a scan finds, if the fold there confirms it."""
    residuals = [_residual(gray) for gray in grays]
    native = _peak(_sync_surface(_summed(np.fft.rfft2(_fold(residual)) for residual in residuals), pattern))[2]
    if native >= SYNC_ACCEPT or min(grays[0].shape) < TILE // 2:
        return 1.0
    scale = _scan_scale(residuals, pattern)
    if scale is None or abs(scale - 1.0) < 0.003:
        return 1.0
    rescaled = _peak(_sync_surface(_summed(_tile_spectrum(gray, scale) for gray in grays), pattern))[2]
    return scale if rescaled > native else 1.0


def _scan_scale(residuals: list[np.ndarray], pattern: _Pattern) -> float | None:
    """Coarse-to-fine scan: at each scale, sample the frame's spectrum where the sync frequencies land.

    None when even the best coarse candidate looks like unmarked input, which ends the search early.
    """
    spectrum = _summed(_centered_spectrum(residual) for residual in residuals)
    coarse = np.arange(math.log(SCALE_RANGE[0]), math.log(SCALE_RANGE[1]), SCALE_STEP)
    peaks = _sync_peaks(spectrum, coarse, pattern)
    best = int(np.argmax(peaks))
    if peaks[best] < SCAN_ACCEPT:
        return None
    fine = coarse[best] + np.linspace(-SCALE_STEP, SCALE_STEP, 11)
    peaks = _sync_peaks(spectrum, fine, pattern)
    index = int(np.clip(np.argmax(peaks), 1, fine.size - 2))
    before, at, after = peaks[index - 1 : index + 2]
    curvature = before - 2 * at + after
    shift = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
    return float(np.exp(fine[index] + np.clip(shift, -1, 1) * (fine[1] - fine[0])))


def _centered_spectrum(residual: np.ndarray) -> np.ndarray:
    """Full complex spectrum of a residual with the frame centre as origin, so phases vary slowly between bins."""
    centered = np.fft.ifftshift(residual.astype(np.float32))
    return cv2.dft(centered, flags=cv2.DFT_COMPLEX_OUTPUT).view(np.complex64)[:, :, 0]


def _sync_peaks(spectrum: np.ndarray, log_scales: np.ndarray, pattern: _Pattern) -> np.ndarray:
    """Peak-to-sidelobe ratio of the phase-only sync correlation for each candidate scale."""
    height, width = spectrum.shape
    period = TILE * np.exp(log_scales)[:, None]
    values = _bilinear(spectrum, pattern.sync_u[None, :] * height / period, pattern.sync_cols[None, :] * width / period)
    whitened = values * np.conj(pattern.sync)[None, :] / np.maximum(np.abs(values), 1e-9)
    grid = np.zeros((log_scales.size, SURFACE, SURFACE // 2 + 1), np.complex64)
    grid[:, pattern.sync_u % SURFACE, pattern.sync_cols] = whitened
    peaks = np.fft.irfft2(grid, s=(SURFACE, SURFACE)).reshape(log_scales.size, -1).max(axis=1)
    # A surface of n unit coefficients has standard deviation sqrt(2n) / SURFACE².
    return peaks * SURFACE**2 / math.sqrt(2 * pattern.sync.size)


def _bilinear(spectrum: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Complex spectrum at fractional bins, wrapping around both axes."""
    height, width = spectrum.shape
    row0, col0 = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    dr, dc = rows - row0, cols - col0
    row0, col0 = row0 % height, col0 % width
    row1, col1 = (row0 + 1) % height, (col0 + 1) % width
    top = spectrum[row0, col0] * (1 - dc) + spectrum[row0, col1] * dc
    bottom = spectrum[row1, col0] * (1 - dc) + spectrum[row1, col1] * dc
    return top * (1 - dr) + bottom * dr


# --- reading: frames to soft bits ---------------------------------------------------------------


@dataclass
class _Shape:
    """Frames of one size, which share a crop and a scale. Keeps only what the vote needs, so long clips stay small."""

    pattern: _Pattern
    pending: list[np.ndarray] = field(default_factory=list)
    scale: float | None = None
    total: np.ndarray | None = None  # summed tile spectrum: the sync of all frames together
    data: list[np.ndarray] = field(default_factory=list)  # per frame, the data coefficients

    def add(self, gray: np.ndarray) -> None:
        if self.scale is not None:
            self._fold(gray)
            return
        self.pending.append(gray)
        if len(self.pending) == SCALE_FRAMES:
            self.settle()

    def settle(self) -> None:
        """Decide the scale from the first frames, then fold them."""
        if self.scale is None and self.pending:
            self.scale = _decide_scale(self.pending, self.pattern)
            for gray in self.pending:
                self._fold(gray)
            self.pending = []

    def _fold(self, gray: np.ndarray) -> None:
        spectrum = _tile_spectrum(gray, self.scale or 1.0)
        self.total = spectrum if self.total is None else self.total + spectrum
        self.data.append(spectrum[self.pattern.data_rows, self.pattern.data_cols])

    def soft_bits(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame soft bits, every frame shifted by the offset of the summed sync, and their noise variance.

        The noise is what the received coefficients hold outside the code's subspace: the data band has more
        dimensions than coded bits, and the mark puts nothing there.
        """
        self.settle()
        if self.total is None:
            raise ValueError("No frames were read.")
        pattern = self.pattern
        row, col, _ = _peak(_sync_surface(self.total, pattern))
        aligned = np.array(self.data) * np.exp(2j * np.pi * (pattern.data_u * row + pattern.data_cols * col) / TILE)
        received = np.concatenate([aligned.real, aligned.imag], axis=1)
        soft = received @ pattern.basis
        rest = received - soft @ pattern.basis.T
        noise = np.sum(rest**2, axis=1) / (received.shape[1] - CODED_BITS)
        return soft, np.maximum(noise, 1e-9)


@dataclass(frozen=True)
class _Reading:
    soft: np.ndarray  # frames × CODED_BITS, positive means 0
    noise: np.ndarray  # per-frame noise variance of the soft bits


def _read(frames: Iterable[np.ndarray], key: bytes) -> _Reading:
    """Per-frame soft bits; frames are grouped by size and each group is aligned as a whole."""
    pattern = _pattern(key)
    shapes: dict[tuple[int, ...], _Shape] = {}
    for frame in frames:
        gray = _luma(frame)
        if gray.shape not in shapes:
            shapes[gray.shape] = _Shape(pattern)
        shapes[gray.shape].add(gray)
    if not shapes:
        raise ValueError("detect() needs at least one frame")
    soft, noise = zip(*(group.soft_bits() for group in shapes.values()), strict=True)
    return _Reading(np.concatenate(soft), np.concatenate(noise))


def frame_bits(frames: Iterable[np.ndarray], *, key: bytes = DEFAULT_KEY) -> np.ndarray:
    """Raw coded bits (0/1) of each frame before the vote and error correction: frames × CODED_BITS.

    Compare with codeword(payload) to measure the channel; pass one frame to read it entirely on its own.
    """
    return (_read(frames, key).soft < 0).astype(np.uint8)


def detect(frames: Iterable[np.ndarray], *, key: bytes = DEFAULT_KEY) -> Detection:
    """Vote across frames (RGB uint8, any size, any count ≥ 1) and decode; payload None when no mark is found."""
    reading = _read(frames, key)
    decoded = _decode(reading, 1.0 / reading.noise)
    if not decoded.crc_ok and len(reading.soft) > 1:
        decoded = _decode(reading, _reliability(reading, decoded.signs))
    valid = decoded.crc_ok and decoded.correlation >= MIN_CORRELATION
    agreement = float(np.mean(reading.soft * decoded.signs > 0))
    payload = decoded.payload if valid else None
    return Detection(payload, _confidence(decoded.correlation, valid), agreement, len(reading.soft))


@dataclass(frozen=True)
class _Decoded:
    payload: bytes
    crc_ok: bool
    correlation: float  # votes · codeword, normalised to -1..1
    signs: np.ndarray  # the decoded codeword as ±1 (positive means 0)


def _decode(reading: _Reading, weights: np.ndarray) -> _Decoded:
    """Weighted vote of the frames' soft bits, then the best message for it."""
    votes = (reading.soft * weights[:, None]).sum(axis=0)
    message = _viterbi(votes)
    payload = np.packbits(message[:PAYLOAD_BITS]).tobytes()
    signs = 1.0 - 2.0 * _encode(message)
    norm = float(np.linalg.norm(votes)) * math.sqrt(CODED_BITS)
    correlation = float(votes @ signs) / norm if norm > 0 else 0.0
    return _Decoded(payload, bool(np.array_equal(_message_bits(payload), message)), correlation, signs)


def _reliability(reading: _Reading, signs: np.ndarray) -> np.ndarray:
    """Frame weights for a second vote: each frame's agreement with a first guess over its noise.

    Under motion, H.264 drags the mark along with the content in predicted frames, so late frames of a
    clip can carry much less mark than the first; equal weights would let them drown the good ones.
    """
    amplitude = np.maximum(reading.soft @ signs / CODED_BITS, 0.0)
    return amplitude / reading.noise if amplitude.any() else 1.0 / reading.noise


def _confidence(correlation: float, valid: bool) -> float:
    """0.5..1 for a payload (its weakest accepted fit to a clean mark); 0..0.49 without (random input to near miss)."""
    if valid:
        return round(0.5 + 0.5 * _unit((correlation - MIN_CORRELATION) / (CLEAN_CORRELATION - MIN_CORRELATION)), 4)
    return round(0.49 * _unit((correlation - RANDOM_CORRELATION) / (CLEAN_CORRELATION - RANDOM_CORRELATION)), 4)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))
