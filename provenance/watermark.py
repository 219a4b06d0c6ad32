"""Invisible watermark that survives re-posting: every generated frame carries a payload that ties it to its clip.

Design, and why:

* Pattern and band. The mark is one TILE×TILE (192 px) luma tile repeated over the frame. Its spectrum sits
  on the tile's Fourier lattice between 3 and 12 cycles per tile (periods of 16–64 px): low enough to
  survive a 0.3× downscale followed by H.264, which keeps little above 0.2 cycles per received pixel. The
  same offset goes to R, G and B, so only luma changes; yuv420p throws chroma detail away first.
* Three parts. A template: the lattice points that are multiples of 3 cycles per tile (so it repeats every
  64 px) in a ring of 6–12 cycles, all of them, with a quarter of the energy. Being few, strong and
  symmetric under 90° turns and mirrors, they are peaks in the frame's Fourier magnitude that reveal scale
  and rotation whatever the shift, crop or flip. A sync: a key-derived 30 % of the other coefficients with
  fixed phases, which finds the shift and which of the 8 mirror/quarter-turn orientations the frame is in.
  Data: the remaining coefficients, with each coded bit spread over all of them by a random orthonormal
  matrix, so bits are orthogonal and none depends on a frequency the codec happens to drop.
* Code. 64-bit payload + CRC-16, convolutional code (K=7, rate 1/2, 172 coded bits), soft Viterbi.
* Reading. Frames of one size share a geometry, found on their mean (a static mark adds up, moving content
  blurs out): first at native scale (the common case, and any flip of it), else at each of a ladder of
  trial scales (0.28–1.7×) by a phase-coherent scan of the sync over scale and turns up to 15° (sensitive
  enough for small frames) and by scoring the template over scale and any rotation on the whitened
  magnitude spectrum; the sync ranks the candidates, which are hill-climbed on it and tried as decodes. Each frame is then resampled to the mark's geometry at a quarter of its
  resolution (the band sits below that Nyquist limit), high-passed and clipped (a robust correlator: the
  host's edges are heavy-tailed noise), and folded modulo the tile, so any crop is a circular shift. Soft
  bits from all frames are weighted by their measured noise and summed (the vote), then decoded.
* Decision. A payload is reported only when its CRC matches (a random message passes with p = 2^-16) and
  the voted soft bits fit its codeword clearly better than the best codeword fits random input (see
  MIN_CORRELATION), so unmarked content almost never yields a payload, whatever geometry the search settled
  on: bench/watermark.py fits the tail of that fit on unmarked, mirrored and turned video and puts the
  false-payload rate per 2 s window well under 10^-6.

Limits: a scale change must be the same both ways (no anamorphic stretch); a single frame under about 200 px
holds too little mark, so small or heavily downscaled video needs the clip's vote. The key is public: the
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
import scipy.fft

PAYLOAD_BITS = 64
DEFAULT_STRENGTH = 2.4  # RMS of the luma offset in 8-bit levels (about 40.4 dB PSNR)
DEFAULT_KEY = b"marionette/watermark/v1"  # public: keeps the pattern specific, not secret

TILE = 192  # native pixels
DECIMATION = 3  # the reader works at a third of the mark's native resolution
CELL = TILE // DECIMATION  # the tile's side there
BAND = (3.0, 12.0)  # cycles per tile
TEMPLATE_STEP = 3  # template frequencies are multiples of this, so the template repeats every TILE / 3 px
TEMPLATE_BAND = (6.0, 12.0)  # cycles per tile
TEMPLATE_SHARE = 0.15  # of the mark's energy
SYNC_FRACTION = 0.3  # of the coefficients that are not template

CRC_BITS = 16
CONSTRAINT = 7
GENERATORS = (0o171, 0o133)
MESSAGE_BITS = PAYLOAD_BITS + CRC_BITS
CODED_BITS = 2 * (MESSAGE_BITS + CONSTRAINT - 1)

CANVAS_BOX = 7  # high-pass on the canvas: minus a 7×7 box blur (21 native px)
POWER_BOX = 7  # local power over 7×7 canvas px ...
POWER_FLOOR = 4.0  # ... against about the mark's own power: flat areas get weight ~1/2, busy ones much less
MIN_SIDE = 32  # frames (and canvases) smaller than this carry too little to read
PROBES = 6  # frames of a clip the geometry search reads
SYNC_ACCEPT = 7.0  # sync peak-to-sidelobe at native scale that makes the search unnecessary
SEARCH_MIN_SIDE = 64  # smaller frames are only read at native scale
LEVEL_RANGE = (0.31, 1.55)  # trial scales (received px per native px); each covers its neighbourhood
LEVELS = 5
LEVEL_SIDE = 512  # the geometry search reads at most this much of a probe's centre, in canvas px
SCAN_SIDE = 384  # the native scan reads at most this much of the probes' centre
LEVEL_SCAN_SIDE = 192  # the other levels' scans, which cover far more scales, read less
SCAN_STEP_BINS = 0.6  # scan steps move the outermost sync frequency this many bins ...
LEVEL_SCAN_STEP_BINS = 1.0  # ... and this many in the turned scans of the other levels, which polish refines
SCAN_SURFACE = 32  # side of the scan's correlation surfaces (twice the band's top frequency is enough)
SCAN_PICKS = 2  # per level
ROTATION_SPAN = math.radians(15.0)  # the coherent scans' turns either way; the template covers any other
ROTATION_SCALE_SPAN = 0.03
WHITEN_BOX = 15  # bins of the local mean that whitens the magnitude spectrum
SCALE_STEP = 0.015  # template scan, in log scale
ANGLE_STEP = math.radians(0.75)
TEMPLATE_PICKS = 6  # per level
SCREENED = 3  # best candidates polished and tried as decodes
POLISH_STEPS = ((0.008, math.radians(0.6)), (0.004, math.radians(0.3)), (0.002, math.radians(0.15)))
POLISH_MOVES = 4  # at most, per step size
# Normalised votes · decoded codeword. The best of 2^80 codewords fits random votes to 0.657 ± 0.014, so 0.72
# (4.5 sigma) on top of the CRC cuts false payloads by another ~10^5 (bench/watermark.py fits the tail on
# unmarked video), while correct decodes of the edits the bench runs sit at 0.75 and more.
MIN_CORRELATION = 0.72
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
    """The mark's frequencies (signed, cycles per tile; one of each ± pair) and what they carry."""

    template_u: np.ndarray  # vertical frequency
    template_v: np.ndarray  # horizontal frequency
    template: np.ndarray  # unit complex coefficients
    sync_u: np.ndarray
    sync_v: np.ndarray
    sync: np.ndarray  # unit complex coefficients
    data_u: np.ndarray
    data_v: np.ndarray
    basis: np.ndarray  # (2 · data coefficients) × CODED_BITS, orthonormal columns

    @property
    def sync_rows(self) -> np.ndarray:
        """Row of each sync coefficient in the folded canvas tile's rfft2 layout."""
        return self.sync_u % CELL

    @property
    def data_rows(self) -> np.ndarray:
        return self.data_u % CELL


def _half_plane(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer frequencies (u, v) with low <= |(u, v)| <= high, one of each ± pair (v > 0, or v = 0 and u > 0)."""
    span = np.arange(-math.floor(high), math.floor(high) + 1)
    u, v = (axis.ravel() for axis in np.meshgrid(span, span, indexing="ij"))
    radius = np.hypot(u, v)
    keep = (radius >= low) & (radius <= high) & ((v > 0) | ((v == 0) & (u > 0)))
    return u[keep], v[keep]


@functools.lru_cache(maxsize=4)
def _pattern(key: bytes) -> _Pattern:
    """The template ring, then the band's other coefficients split between sync and data, all from the key."""
    u, v = _half_plane(*BAND)
    radius = np.hypot(u, v)
    ring = (radius >= TEMPLATE_BAND[0]) & (radius <= TEMPLATE_BAND[1])
    template = (u % TEMPLATE_STEP == 0) & (v % TEMPLATE_STEP == 0) & ring
    rest_u, rest_v = u[~template], v[~template]
    # The sync avoids v = 0: its correlation surface comes from irfft2, whose v = 0 column needs ± pairs.
    order = np.argsort(_uniforms(key, b"split", rest_u.size) + 2.0 * (rest_v == 0), kind="stable")
    n_sync = round(rest_u.size * SYNC_FRACTION)
    sync, data = np.sort(order[:n_sync]), np.sort(order[n_sync:])
    n_data = data.size
    basis, _ = np.linalg.qr(_normals(key, b"basis", 2 * n_data * CODED_BITS).reshape(2 * n_data, CODED_BITS))
    return _Pattern(
        u[template],
        v[template],
        np.exp(2j * np.pi * _uniforms(key, b"template", int(template.sum()))),
        rest_u[sync],
        rest_v[sync],
        np.exp(2j * np.pi * _uniforms(key, b"sync", n_sync)),
        rest_u[data],
        rest_v[data],
        basis,
    )


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
    n_data = pattern.data_u.size
    spread = pattern.basis @ (1.0 - 2.0 * codeword(payload)) * math.sqrt(n_data / CODED_BITS)  # unit energy each
    n_template, n_rest = pattern.template_u.size, n_data + pattern.sync_u.size
    template_gain = math.sqrt(TEMPLATE_SHARE * n_rest / ((1.0 - TEMPLATE_SHARE) * n_template))
    u = np.concatenate([pattern.template_u, pattern.sync_u, pattern.data_u])
    v = np.concatenate([pattern.template_v, pattern.sync_v, pattern.data_v])
    values = np.concatenate([template_gain * pattern.template, pattern.sync, spread[:n_data] + 1j * spread[n_data:]])
    spectrum = np.zeros((TILE, TILE), np.complex128)
    spectrum[u % TILE, v % TILE] = values
    spectrum[-u % TILE, -v % TILE] = np.conj(values)
    tile = np.fft.ifft2(spectrum).real
    return (tile * (strength / np.sqrt(np.mean(tile**2)))).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _frame_offset(payload: bytes, strength: float, key: bytes, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The tiled, rounded offset for a whole frame as H×W×3 uint8 raise and lower parts (one clip reuses them):
    two saturating uint8 passes are faster than one pass through int16."""
    tile = _tile(payload, strength, key)
    tiled = np.rint(np.tile(tile, (-(-height // TILE), -(-width // TILE)))[:height, :width]).astype(np.int16)
    raise_, lower = np.clip(tiled, 0, 255).astype(np.uint8), np.clip(-tiled, 0, 255).astype(np.uint8)
    return np.repeat(raise_[:, :, None], 3, axis=2), np.repeat(lower[:, :, None], 3, axis=2)


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
    raise_, lower = _frame_offset(bytes(payload), float(strength), key, frame.shape[0], frame.shape[1])
    marked = cv2.add(np.ascontiguousarray(frame), raise_)
    return cv2.subtract(marked, lower, dst=marked)


# --- reading: from a frame to the folded tile ---------------------------------------------------


@dataclass(frozen=True)
class _Geometry:
    """How received frames relate to the mark: x_received = scale · R(angle) · x_native + shift, then one of the
    8 mirror/quarter-turn orientations (which the folded tile is turned back by); the shift is found last."""

    scale: float
    angle: float  # radians
    orientation: int  # 0..7, see _oriented
    strength: float  # the sync's peak-to-sidelobe ratio over the probe frames
    spectrum: np.ndarray = field(repr=False, compare=False)  # the probes' oriented fold spectrum, summed


def _luma(frame: np.ndarray) -> np.ndarray:
    """uint8 luma of an RGB (or already grey) frame."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3)):
        raise ValueError("frames must be RGB uint8 arrays of shape H×W×3")
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def _normalised(image: np.ndarray) -> np.ndarray:
    """Image minus its local mean, over its local power: where the host is busy it is loud noise, so it counts
    for less, and flat areas, where the mark is clearest, count most (the weighting a Gaussian host of varying
    variance calls for; it also tames edges, as a clip would)."""
    residual = cv2.subtract(image, cv2.blur(image, (CANVAS_BOX, CANVAS_BOX)), dtype=cv2.CV_32F)
    power = cv2.blur(residual * residual, (POWER_BOX, POWER_BOX))
    return residual * (POWER_FLOOR / (power + POWER_FLOOR))


def _resampled(gray: np.ndarray, scale: float) -> tuple[np.ndarray, tuple[float, float]]:
    """The frame resized to 1/DECIMATION of the mark's native resolution, for a frame at that scale, then
    high-passed; and the factors it was actually resized by (sides are whole pixels).

    A whole-pixel box average first (OpenCV's fast path, and nothing aliases into the band), then a linear
    resize of what is left, which is small.
    """
    height, width = gray.shape
    box = max(1, int(DECIMATION * scale + 1e-9))
    image = gray
    if box > 1:
        image = image[: height - height % box, : width - width % box]
        image = cv2.resize(image, (width // box, height // box), interpolation=cv2.INTER_AREA)
    image = image.astype(np.float32)
    if abs(DECIMATION * scale - box) < 1e-9:
        return _normalised(image), (1.0 / box, 1.0 / box)
    size = (max(1, round(width / (DECIMATION * scale))), max(1, round(height / (DECIMATION * scale))))
    image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return _normalised(image), (size[0] / width, size[1] / height)


def _rotation(angle: float) -> np.ndarray:
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def _warped(residual: np.ndarray, factors: tuple[float, float], scale: float, angle: float) -> np.ndarray:
    """A resampled residual brought to the mark's geometry (the canvas): its pixel x reads the residual at
    diag(factors) · DECIMATION · scale · R(angle) · x, about the centres."""
    matrix = np.diag(factors) * (DECIMATION * scale) @ _rotation(angle)
    if np.abs(matrix - np.eye(2)).max() < 1e-9:
        return residual
    height, width = residual.shape
    zoom = math.sqrt(abs(float(np.linalg.det(matrix))))
    size = (max(1, round(width / zoom)), max(1, round(height / zoom)))
    source = np.array([(width - 1) / 2, (height - 1) / 2])
    centre = np.array([(size[0] - 1) / 2, (size[1] - 1) / 2])
    affine = np.hstack([matrix, (source - matrix @ centre)[:, None]])
    return cv2.warpAffine(residual, affine, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=(0.0,))


def _canvas(gray: np.ndarray, scale: float, angle: float) -> np.ndarray:
    """The frame in the mark's geometry at 1/DECIMATION of its native resolution, high-passed."""
    residual, factors = _resampled(gray, scale)
    return _warped(residual, factors, scale, angle)


def _fold(canvas: np.ndarray) -> np.ndarray:
    """Sum the canvas modulo the tile (zero-padded), so every tile adds up in one CELL×CELL array."""
    height, width = canvas.shape
    padded_h, padded_w = -(-height // CELL) * CELL, -(-width // CELL) * CELL
    if (padded_h, padded_w) != (height, width):
        canvas = np.pad(canvas, ((0, padded_h - height), (0, padded_w - width)))
    return canvas.reshape(padded_h // CELL, CELL, padded_w // CELL, CELL).sum(axis=(0, 2), dtype=np.float32)


def _oriented(fold: np.ndarray, orientation: int) -> np.ndarray:
    """One of the 8 quarter-turns and mirrors of a folded tile (a mirror of the frame is one of them, shifted)."""
    turned = np.rot90(fold, orientation % 4)
    return np.ascontiguousarray(turned.T if orientation >= 4 else turned)


def _sync_surface(spectrum: np.ndarray, pattern: _Pattern) -> np.ndarray:
    """Phase-only correlation of a folded spectrum with the sync; its peak sits at the tile's offset."""
    values = spectrum[pattern.sync_rows, pattern.sync_v]
    whitened = np.zeros_like(spectrum)
    whitened[pattern.sync_rows, pattern.sync_v] = values * np.conj(pattern.sync) / np.maximum(np.abs(values), 1e-9)
    return np.fft.irfft2(whitened, s=(CELL, CELL))


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


# --- reading: geometry --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    """The probe frames resampled for one trial scale, high-passed and summed (warp and fold are linear, so the
    sum stands for all of them): any nearby scale and any rotation is a small warp of it."""

    scale: float
    residual: np.ndarray
    factors: tuple[float, float]


def _level(probes: list[np.ndarray], scale: float) -> _Level:
    """A level from the probes' centres: at most LEVEL_SIDE canvas pixels a side, which is plenty to find a
    geometry and keeps small trial scales on a big frame cheap."""
    side = math.ceil(LEVEL_SIDE * DECIMATION * scale)
    resampled = [_resampled(_centre(probe, side), scale) for probe in probes]
    return _Level(scale, _summed(residual for residual, _ in resampled), resampled[0][1])


def _centre(image: np.ndarray, side: int) -> np.ndarray:
    """The central side×side part of an image (all of it along a shorter axis)."""
    height, width = image.shape[:2]
    top, left = max(0, (height - side) // 2), max(0, (width - side) // 2)
    return image[top : top + side, left : left + side]


def _verify(level: _Level, scale: float, angle: float, pattern: _Pattern, orientation: int | None = None) -> _Geometry:
    """Fold the probes in a trial geometry and measure the sync there (in its best orientation unless given)."""
    fold = _fold(_warped(level.residual, level.factors, scale, angle))
    if orientation is None:
        ratios = [_peak(_sync_surface(np.fft.rfft2(_oriented(fold, k)), pattern))[2] for k in range(8)]
        orientation = int(np.argmax(ratios))
    spectrum = np.fft.rfft2(_oriented(fold, orientation))
    return _Geometry(scale, angle, orientation, _peak(_sync_surface(spectrum, pattern))[2], spectrum)


def _locate(probes: list[np.ndarray], pattern: _Pattern) -> tuple[_Geometry, list[tuple[float, bool]]]:
    """The geometry of frames of one size, from a few of them (the probes).

    Native scale when the sync says so (the common case, mirrors and quarter turns included); else, at each of
    a ladder of trial scales, phase-coherent scans of the sync over scale (unturned, and turned up to
    ROTATION_SPAN) and a template search over scale and any rotation propose candidates; the sync ranks them,
    the best are hill-climbed on it, and the first whose probes already
    decode (CRC and fit) wins, which settles near-ties that the sync alone would guess. Also returns the fits
    of those trial decodes: each was a chance for a false payload, which the bench counts.
    """
    native_level = _level(probes, 1.0)
    native = _verify(native_level, 1.0, 0.0, pattern)
    if native.strength >= SYNC_ACCEPT or min(probes[0].shape) < SEARCH_MIN_SIDE:
        return native, []
    trials: list[tuple[float, bool]] = []
    found: list[tuple[_Geometry, _Level]] = [(native, native_level)]
    native_spectrum = _centred_spectrum(native_level, SCAN_SIDE)
    rotated = _scan(native_level, native_spectrum, pattern, ROTATION_SCALE_SPAN, ROTATION_SPAN, SCAN_STEP_BINS)
    found += [(_verify(native_level, pick_scale, pick_angle, pattern), native_level) for pick_scale, pick_angle in rotated]
    turned = max(found[1:], key=lambda item: item[0].strength, default=found[0])[0]
    if turned.strength >= SYNC_ACCEPT:  # a plain turn: no need to try other scales
        turned = _polished(native_level, turned, pattern)
        if _decodes(turned, pattern, trials):
            return turned, trials
    for scale in _level_scales():
        level = _level(probes, scale)
        if min(level.residual.shape) < MIN_SIDE:
            continue
        spectrum = _centred_spectrum(level, SCAN_SIDE)
        # Unturned over the widest centre (the common downscale), turned over a smaller one (cheaper), template.
        picks = _scan(level, spectrum, pattern, _level_span(), 0.0, SCAN_STEP_BINS)
        turned_spectrum = _centred_spectrum(level, LEVEL_SCAN_SIDE)
        picks += _scan(level, turned_spectrum, pattern, _level_span(), ROTATION_SPAN, LEVEL_SCAN_STEP_BINS)
        picks += _template_candidates(level, spectrum, pattern)
        found += [(_verify(level, pick_scale, pick_angle, pattern), level) for pick_scale, pick_angle in picks]
    found.sort(key=lambda item: -item[0].strength)
    polished = sorted((_polished(level, geometry, pattern) for geometry, level in found[:SCREENED]), key=lambda g: -g.strength)
    for geometry in polished:
        if _decodes(geometry, pattern, trials):
            return geometry, trials
    return polished[0], trials


def _level_scales() -> np.ndarray:
    return np.exp(np.linspace(math.log(LEVEL_RANGE[0]), math.log(LEVEL_RANGE[1]), LEVELS))


def _level_span() -> float:
    """Half the log-scale gap between levels, a little more so neighbours overlap."""
    return 0.55 * math.log(LEVEL_RANGE[1] / LEVEL_RANGE[0]) / (LEVELS - 1)


def _polished(level: _Level, geometry: _Geometry, pattern: _Pattern) -> _Geometry:
    """Polish scale and angle on the sync itself by hill-climbing on ever finer steps: over a whole frame, a
    0.3 % scale error already blurs the fold, and a template pick can be off by a few of them."""
    best = geometry
    for scale_step, angle_step in POLISH_STEPS:
        for _ in range(POLISH_MOVES):
            centre = best
            for ds, da in ((-scale_step, 0.0), (scale_step, 0.0), (0.0, -angle_step), (0.0, angle_step)):
                trial = _verify(level, centre.scale * math.exp(ds), centre.angle + da, pattern, centre.orientation)
                if trial.strength > best.strength:
                    best = trial
            if best is centre:
                break
    return best


def _decodes(geometry: _Geometry, pattern: _Pattern, trials: list[tuple[float, bool]]) -> bool:
    """Whether the probes alone, read in this geometry, give a valid payload; fit and CRC go to trials."""
    soft, noise = _soft_from_spectra(geometry.spectrum[None], pattern)
    decoded = _decode(_Reading(soft, noise), 1.0 / noise)
    trials.append((decoded.correlation, decoded.crc_ok))
    return decoded.crc_ok and decoded.correlation >= MIN_CORRELATION


def _centred_spectrum(level: _Level, side: int) -> np.ndarray:
    """Complex spectrum (H×W×2, zero frequency in the middle) of the central side×side of the probes' summed
    residual at a level, with the image centre as the origin so phases vary slowly between bins and interpolate."""
    centre = np.ascontiguousarray(_centre(level.residual, side))
    spectrum = cv2.dft(np.fft.ifftshift(centre), flags=cv2.DFT_COMPLEX_OUTPUT)
    return np.ascontiguousarray(np.fft.fftshift(spectrum, axes=(0, 1)))


def _bins(
    spectrum: np.ndarray, level: _Level, kx: np.ndarray, ky: np.ndarray, scales: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where native frequencies (cycles per tile, any leading shape) land in a level's centred spectrum, for
    each trial scale: float32 maps of shape scales × frequencies, ready for cv2.remap."""
    height, width = spectrum.shape[:2]
    per_tile = 1.0 / (TILE * scales.reshape((-1,) + (1,) * kx.ndim))
    map_x = width // 2 + kx[None] * per_tile * width / level.factors[0]
    map_y = height // 2 + ky[None] * per_tile * height / level.factors[1]
    columns = kx.shape[-1]
    return map_x.astype(np.float32).reshape(-1, columns), map_y.astype(np.float32).reshape(-1, columns)


_TURNS = [[[1, 0], [0, 1]], [[0, -1], [1, 0]], [[-1, 0], [0, -1]], [[0, 1], [-1, 0]]]
_MIRRORS = [[[0, 1], [1, 0]], [[-1, 0], [0, 1]], [[0, -1], [-1, 0]], [[1, 0], [0, -1]]]
_ORIENTATIONS = np.array(_TURNS + _MIRRORS)  # the 8 quarter turns and mirrors, acting on (x, y) frequencies


def _scan_step(spectrum: np.ndarray, bins: float) -> float:
    """Log-scale (or angle, in radians) step that moves the outermost sync frequency this many bins."""
    return bins * CELL / (BAND[1] * max(spectrum.shape[:2]))


def _scan(
    level: _Level, spectrum: np.ndarray, pattern: _Pattern, scale_span: float, turn_span: float, bins: float
) -> list[tuple[float, float]]:
    """Candidate (scale, angle) pairs from the coherent sync scan of a level's spectrum, within scale_span (log)
    of the level's scale and turn_span (radians) of no turn, in steps that move the outermost sync frequency
    this many bins."""
    step = _scan_step(spectrum, bins)
    log_scales = math.log(level.scale) + np.arange(-scale_span, scale_span + step, step)
    angles = np.arange(-turn_span, turn_span + step, step)
    ratios = _sync_scan(level, spectrum, pattern, log_scales, angles)
    return [(float(np.exp(log_scales[row])), float(angles[col])) for row, col in _local_maxima(ratios, SCAN_PICKS)]


def _sync_scan(level: _Level, spectrum: np.ndarray, pattern: _Pattern, log_scales: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """The sync's phase-only correlation read straight off a level's spectrum for every trial scale and angle,
    best over the 8 orientations: scales × angles peak-to-sidelobe ratios. Coherent, so it finds a weak mark
    that no magnitude statistic would."""
    cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    ox = _ORIENTATIONS[None, :, 0, 0, None] * pattern.sync_v + _ORIENTATIONS[None, :, 0, 1, None] * pattern.sync_u
    oy = _ORIENTATIONS[None, :, 1, 0, None] * pattern.sync_v + _ORIENTATIONS[None, :, 1, 1, None] * pattern.sync_u
    map_x, map_y = _bins(spectrum, level, cos * ox - sin * oy, sin * ox + cos * oy, np.exp(log_scales))
    sampled = cv2.remap(spectrum, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0.0,))
    values = sampled[..., 0] + 1j * sampled[..., 1]
    whitened = values * np.conj(pattern.sync) / np.maximum(np.abs(values), 1e-9)
    grid = np.zeros((whitened.shape[0], SCAN_SURFACE, SCAN_SURFACE // 2 + 1), np.complex64)
    grid[:, pattern.sync_u % SCAN_SURFACE, pattern.sync_v] = whitened
    peaks = scipy.fft.irfft2(grid, s=(SCAN_SURFACE, SCAN_SURFACE)).reshape(whitened.shape[0], -1).max(axis=1)
    # A surface of n unit coefficients has a standard deviation of sqrt(2n) / side² (Parseval).
    ratios = peaks * SCAN_SURFACE**2 / math.sqrt(2 * pattern.sync.size)
    return ratios.reshape(log_scales.size, angles.size, len(_ORIENTATIONS)).max(axis=2)


def _template_candidates(level: _Level, spectrum: np.ndarray, pattern: _Pattern) -> list[tuple[float, float]]:
    """Candidates with rotation: the template's magnitude peaks over scale and angle (mod 90°: the template has
    the lattice's symmetry), whatever the shift, crop or mirror, each polished on a finer grid."""
    white = _whitened_magnitude(spectrum)
    span = _level_span()
    log_scales = math.log(level.scale) + np.arange(-span, span + SCALE_STEP, SCALE_STEP)
    angles = np.arange(-math.pi / 4, math.pi / 4, ANGLE_STEP)
    scores = _template_scores(white, level, pattern, log_scales, angles)
    found = []
    for row, col in _local_maxima(scores, TEMPLATE_PICKS, wrap=True):
        fine_scales = log_scales[row] + np.linspace(-SCALE_STEP, SCALE_STEP, 7)
        fine_angles = angles[col] + np.linspace(-ANGLE_STEP, ANGLE_STEP, 7)
        fine = _template_scores(white, level, pattern, fine_scales, fine_angles)
        best_row, best_col = np.unravel_index(int(np.argmax(fine)), fine.shape)
        found.append((float(np.exp(fine_scales[best_row])), float(fine_angles[best_col])))
    return found


def _whitened_magnitude(spectrum: np.ndarray) -> np.ndarray:
    """Fourier magnitude over its local mean: periodic marks stand out as peaks, whatever the host's slope.

    The magnitude is smoothed by a 3-bin box first: the unwindowed spectrum spreads a peak over its neighbours.
    """
    magnitude = cv2.blur(cv2.magnitude(spectrum[..., 0], spectrum[..., 1]), (3, 3))
    return magnitude / (cv2.blur(magnitude, (WHITEN_BOX, WHITEN_BOX)) + 1e-6)


def _template_scores(
    white: np.ndarray, level: _Level, pattern: _Pattern, log_scales: np.ndarray, angles: np.ndarray
) -> np.ndarray:
    """Mean whitened magnitude at the template's frequencies for every (scale, angle): scales × angles."""
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    fx, fy = pattern.template_v[None, :], pattern.template_u[None, :]
    map_x, map_y = _bins(white, level, cos * fx - sin * fy, sin * fx + cos * fy, np.exp(log_scales))
    sampled = cv2.remap(white, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0.0,))
    return sampled.mean(axis=1).reshape(log_scales.size, angles.size)


def _local_maxima(scores: np.ndarray, count: int, *, wrap: bool = False) -> list[tuple[int, int]]:
    """Positions of the count highest local maxima (3×3) of a score table; wrap: the columns are circular."""
    table = scores.astype(np.float32)
    padded = np.concatenate([table[:, -1:], table, table[:, :1]], axis=1) if wrap else table
    neighbourhood = cv2.dilate(padded, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    if wrap:
        neighbourhood = neighbourhood[:, 1:-1]
    rows, cols = np.nonzero(table >= neighbourhood)
    order = np.argsort(-table[rows, cols], kind="stable")[:count]
    return [(int(rows[index]), int(cols[index])) for index in order]


# --- reading: frames to soft bits ---------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    soft: np.ndarray  # frames × CODED_BITS, positive means 0
    noise: np.ndarray  # per-frame noise variance of the soft bits
    trials: tuple[tuple[float, bool], ...] = ()  # fit and CRC of the geometry search's trial decodes


def _soft_bits(grays: list[np.ndarray], pattern: _Pattern) -> _Reading:
    """Per-frame soft bits and noise for frames of one size, all read in the geometry their probes show."""
    if min(grays[0].shape) < MIN_SIDE:
        return _Reading(np.zeros((len(grays), CODED_BITS)), np.ones(len(grays)))
    picks = np.unique(np.linspace(0, len(grays) - 1, min(PROBES, len(grays))).round().astype(int))
    geometry, trials = _locate([grays[index] for index in picks], pattern)
    spectra = np.array(
        [np.fft.rfft2(_oriented(_fold(_canvas(gray, geometry.scale, geometry.angle)), geometry.orientation)) for gray in grays]
    )
    return _Reading(*_soft_from_spectra(spectra, pattern), tuple(trials))


def _soft_from_spectra(spectra: np.ndarray, pattern: _Pattern) -> tuple[np.ndarray, np.ndarray]:
    """Soft bits of oriented fold spectra (frames × CELL × CELL/2+1), all shifted by the offset of their summed
    sync; with each frame's noise variance.

    Each coefficient is divided by the RMS of its ring first: the host's interference falls steeply with
    frequency. The noise is what the received coefficients hold outside the code's subspace: the data band has
    more dimensions than coded bits, and the mark puts nothing there.
    """
    row, col, _ = _peak(_sync_surface(spectra.sum(axis=0), pattern))
    data = spectra[:, pattern.data_rows, pattern.data_v]
    aligned = data * np.exp(2j * np.pi * (pattern.data_u * row + pattern.data_v * col) / CELL) / _ring_spread(spectra, pattern)
    received = np.concatenate([aligned.real, aligned.imag], axis=1)
    soft = received @ pattern.basis
    rest = received - soft @ pattern.basis.T
    noise = np.sum(rest**2, axis=1) / (received.shape[1] - CODED_BITS)
    return soft, np.maximum(noise, 1e-9)


def _ring_spread(spectra: np.ndarray, pattern: _Pattern) -> np.ndarray:
    """Per frame and data coefficient, the RMS of the sync and data coefficients in its ring (1 cycle wide)."""
    u = np.concatenate([pattern.sync_u, pattern.data_u])
    v = np.concatenate([pattern.sync_v, pattern.data_v])
    ring = np.floor(np.hypot(u, v)).astype(np.int64)
    power = np.abs(spectra[:, u % CELL, v]) ** 2
    counts = np.maximum(np.bincount(ring), 1)
    mean = np.array([np.bincount(ring, weights=frame) for frame in power]) / counts
    return np.sqrt(np.maximum(mean[:, ring[pattern.sync_u.size :]], 1e-12))


def _read(frames: Iterable[np.ndarray], key: bytes) -> _Reading:
    """Per-frame soft bits; frames are grouped by size and each group is located and read as a whole."""
    pattern = _pattern(key)
    shapes: dict[tuple[int, ...], list[np.ndarray]] = {}
    order: list[tuple[tuple[int, ...], int]] = []
    for frame in frames:
        gray = _luma(frame)
        group = shapes.setdefault(gray.shape, [])
        order.append((gray.shape, len(group)))
        group.append(gray)
    if not shapes:
        raise ValueError("detect() needs at least one frame")
    read = {shape: _soft_bits(grays, pattern) for shape, grays in shapes.items()}
    soft = np.array([read[shape].soft[index] for shape, index in order])
    noise = np.array([read[shape].noise[index] for shape, index in order])
    trials = tuple(trial for result in read.values() for trial in result.trials)
    return _Reading(soft, noise, trials)


def frame_bits(frames: Iterable[np.ndarray], *, key: bytes = DEFAULT_KEY) -> np.ndarray:
    """Raw coded bits (0/1) of each frame before the vote and error correction: frames × CODED_BITS.

    Compare with codeword(payload) to measure the channel; pass one frame to read it entirely on its own.
    """
    return (_read(frames, key).soft < 0).astype(np.uint8)


def detect(frames: Iterable[np.ndarray], *, key: bytes = DEFAULT_KEY) -> Detection:
    """Vote across frames (RGB uint8, any size, any count ≥ 1) and decode; payload None when no mark is found."""
    return _evidence(frames, key).detection


@dataclass(frozen=True)
class _Evidence:
    """detect()'s answer and the statistics it decided on, for calibrating the decision on unmarked video."""

    detection: Detection
    fits: tuple[float, ...]  # votes · codeword of every decode tried (the search's trials, then the vote's)
    crc_passes: int  # how many of those decodes had a matching CRC


def _evidence(frames: Iterable[np.ndarray], key: bytes = DEFAULT_KEY) -> _Evidence:
    """Read, vote and decode; a payload needs a matching CRC and a clear fit (see MIN_CORRELATION)."""
    reading = _read(frames, key)
    decodes = [_decode(reading, 1.0 / reading.noise)]
    if not decodes[0].crc_ok and len(reading.soft) > 1:
        decodes.append(_decode(reading, _reliability(reading, decodes[0].signs)))
    decoded = decodes[-1]
    valid = decoded.crc_ok and decoded.correlation >= MIN_CORRELATION
    agreement = float(np.mean(reading.soft * decoded.signs > 0))
    payload = decoded.payload if valid else None
    detection = Detection(payload, _confidence(decoded.correlation, valid), agreement, len(reading.soft))
    tried = reading.trials + tuple((item.correlation, item.crc_ok) for item in decodes)
    return _Evidence(detection, tuple(fit for fit, _ in tried), sum(ok for _, ok in tried))


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
