"""Image statistics that tell a camera photograph from a drawing or a render.

A camera sensor adds noise everywhere and optics blur every edge a little, so a photograph has
no truly flat regions, a high-pass residual that looks like Gaussian noise, many distinct
colours and a continuum of soft gradients. Drawn, painted and rendered characters are built from
flat or smoothly shaded regions bounded by crisp edges: a residual that is zero almost everywhere
with spikes on the outlines (heavy-tailed), large flat areas, few dominant colours. Each feature
below measures one of these properties at a fixed working size, so the numbers are comparable
across upload sizes. Flat share and the colour statistics are taken after a 3×3 median, which
removes JPEG ringing and artists' grain from flat paint but leaves photographic texture.
"""

from __future__ import annotations

import cv2
import numpy as np

from moderation.images.faces import FaceBox

WORKING_SIDE = 512
FLAT_STD = 0.6  # grey levels: below this a 3×3 neighbourhood is "flat" (sensor noise is ≥ ~1)
SOFT_GRADIENT = (1.0, 10.0)  # per-pixel grey-level change typical of photographed skin and fabric
STRONG_GRADIENT = 40.0
COLOUR_BITS = 6  # per channel when counting distinct colours (coarser bins measured no better)
SMOOTH_GRADIENT = 6.0  # below this a pixel is away from edges: its residual is noise, not structure

FACE_FEATURES = (
    "face_noise_sigma",
    "face_noise_floor",
    "face_flat_share",
    "face_residual_kurtosis",
    "face_soft_gradient_share",
    "face_strong_edge_share",
)

_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def working_image(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The image reduced (never enlarged) to WORKING_SIDE on its longer side, and the scale used."""
    scale = min(1.0, WORKING_SIDE / max(rgb.shape[:2]))
    if scale == 1.0:
        return rgb, scale
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def image_features(rgb: np.ndarray, faces: list[FaceBox]) -> dict[str, float | None]:
    """Statistics of the whole image, and of the main face's skin (None for those when no face was found).

    Face statistics are left undefined rather than taken from some stand-in region: the model
    treats a missing value as average (no contribution), so they only speak when there is a face,
    which is the only time the decision depends on them.
    """
    small, scale = working_image(rgb)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    features: dict[str, float | None] = {
        **texture_features(gray, prefix=""),
        **colour_features(cv2.medianBlur(small, 3)),
        "spectral_slope": spectral_slope(gray),
    }
    if faces:
        top, bottom, left, right = _face_region(gray.shape, faces[0], scale)
        features.update(texture_features(gray[top:bottom, left:right], prefix="face_"))
    else:
        features.update(dict.fromkeys(FACE_FEATURES))
    return {name: None if value is None else round(float(value), 5) for name, value in features.items()}


def texture_features(gray: np.ndarray, prefix: str) -> dict[str, float]:
    """Noise level, flat share, residual tail weight and gradient mix of a grey image."""
    if min(gray.shape) < 8:
        gray = cv2.resize(gray, (8, 8), interpolation=cv2.INTER_LINEAR)
    residual = cv2.filter2D(gray, -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT)[1:-1, 1:-1]
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    magnitude = np.hypot(gx, gy)[1:-1, 1:-1]
    return {
        f"{prefix}noise_sigma": noise_sigma(residual, magnitude),
        f"{prefix}noise_floor": noise_floor(residual),
        f"{prefix}flat_share": flat_share(cv2.medianBlur(gray, 3)),
        f"{prefix}residual_kurtosis": float(np.log10(_kurtosis(residual) + 1.0)),
        f"{prefix}soft_gradient_share": float(np.mean((magnitude >= SOFT_GRADIENT[0]) & (magnitude < SOFT_GRADIENT[1]))),
        f"{prefix}strong_edge_share": float(np.mean(magnitude >= STRONG_GRADIENT)),
    }


def noise_sigma(residual: np.ndarray, magnitude: np.ndarray) -> float:
    """Immerkær's fast noise estimate (σ in grey levels), over smooth pixels so outlines don't count.

    For Gaussian noise σ the kernel's response has standard deviation 6σ and mean |x| of
    6σ·sqrt(2/π). Drawings score near 0, camera photographs 0.5-5 depending on ISO and compression.
    """
    smooth = magnitude < SMOOTH_GRADIENT
    values = np.abs(residual[smooth]) if smooth.sum() >= 64 else np.abs(residual)
    return float(np.sqrt(np.pi / 2) * values.mean() / 6.0)


def noise_floor(residual: np.ndarray) -> float:
    """The quietest fifth of 7×7 neighbourhoods, in σ units: a sensor leaves no region noise-free."""
    local = cv2.blur(np.abs(residual), (7, 7))
    return float(np.sqrt(np.pi / 2) * np.percentile(local, 20) / 6.0)


def flat_share(gray: np.ndarray) -> float:
    """Share of pixels whose 3×3 neighbourhood is constant to within FLAT_STD grey levels."""
    mean = cv2.blur(gray, (3, 3))
    mean_sq = cv2.blur(gray * gray, (3, 3))
    std = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
    return float(np.mean(std < FLAT_STD))


def _kurtosis(values: np.ndarray) -> float:
    """Excess-free kurtosis E[x⁴]/E[x²]²: 3 for Gaussian noise, hundreds for outline spikes on flat paint."""
    values = values.astype(np.float64).ravel()
    second = float(np.mean(values**2))
    if second < 1e-9:
        return 1000.0  # perfectly flat: as drawing-like as it gets
    return min(float(np.mean(values**4)) / second**2, 1000.0)


def colour_features(rgb: np.ndarray) -> dict[str, float]:
    """How many colours, how concentrated, and how saturated."""
    pixels = rgb.reshape(-1, 3)
    bins = COLOUR_BITS
    shift = 8 - bins
    channels = pixels.astype(np.int32) >> shift
    codes = channels[:, 0] << (2 * bins) | channels[:, 1] << bins | channels[:, 2]
    counts = np.bincount(codes, minlength=1 << (3 * bins))
    nonzero = np.sort(counts[counts > 0])[::-1]
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    saturation = hsv[..., 1].astype(np.float32) / 255.0
    lit = hsv[..., 2] > 40
    spread = np.abs(pixels.astype(np.int16) - pixels.mean(axis=1, keepdims=True).astype(np.int16)).max(axis=1)
    return {
        "distinct_colours": float(np.log10(len(nonzero))),
        "top_colour_share": float(nonzero[:16].sum() / len(pixels)),
        "saturation_mean": float(saturation[lit].mean()) if lit.any() else 0.0,
        "grey_share": float(np.mean(spread <= 3)),
    }


def spectral_slope(gray: np.ndarray) -> float:
    """Slope of log power against log frequency; natural photographs sit near -2 to -3."""
    size = 256
    patch = cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
    patch = (patch - patch.mean()) * np.outer(np.hanning(size), np.hanning(size))
    power = np.abs(np.fft.fftshift(np.fft.fft2(patch))) ** 2
    y, x = np.indices(power.shape)
    radius = np.hypot(x - size / 2, y - size / 2).astype(int)
    radial = np.bincount(radius.ravel(), power.ravel()) / np.maximum(np.bincount(radius.ravel()), 1)
    frequencies = np.arange(4, size // 2 - 8)
    slope = np.polyfit(np.log(frequencies), np.log(radial[frequencies] + 1e-6), 1)[0]
    return float(slope)


def _face_region(shape: tuple[int, ...], face: FaceBox, scale: float) -> tuple[int, int, int, int]:
    """The inner part of the face box (cheeks, nose, forehead: skin rather than hair or background)."""
    left, top, right, bottom = (round(value * scale) for value in (face.left, face.top, face.right, face.bottom))
    inset_x, inset_y = round((right - left) * 0.2), round((bottom - top) * 0.15)
    height, width = shape[:2]
    return (
        max(0, top + inset_y),
        min(height, max(top + inset_y + 8, bottom - inset_y)),
        max(0, left + inset_x),
        min(width, max(left + inset_x + 8, right - inset_x)),
    )
