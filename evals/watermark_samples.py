"""Test material for the watermark: natural-ish frames, slowly moving clips, a real H.264 round trip, and the
edits re-posters make (repost_edits).

Shared by provenance/tests/test_watermark.py and `python -m bench.watermark` so both judge the mark on the
same kind of content: flat gradients (where a codec drops faint detail first), hard edges, fine
texture and sensor-like noise, plus the demo portraits the platform actually animates.
"""

import functools
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def natural_frame(seed: int, size: int | tuple[int, int] = 512) -> np.ndarray:
    """A seeded RGB scene: sky-like gradient, soft and hard shapes, a textured patch and grain."""
    width, height = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    ramp = np.linspace(0.0, 1.0, height)[:, None, None]
    base = (top * (1 - ramp) + bottom * ramp).repeat(width, axis=1)
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 10))):
        x0, y0 = rng.integers(-width // 4, width, 2)
        w, h = rng.integers(width // 10, width // 2, 2)
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        box = [int(x0), int(y0), int(x0 + w), int(y0 + h)]
        if rng.random() < 0.5:
            draw.ellipse(box, fill=color)
        else:
            draw.rectangle(box, fill=color, outline=(0, 0, 0), width=int(rng.integers(1, 4)))
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.5))))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += _texture_patch(rng, height, width)
    pixels += rng.normal(0.0, float(rng.uniform(0.5, 3.0)), pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _texture_patch(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Band-limited noise (foliage, fabric) over a random rectangle, so some areas are busy."""
    noise = cv2.GaussianBlur(rng.normal(0.0, 1.0, (height, width)).astype(np.float32), (0, 0), float(rng.uniform(0.7, 2.5)))
    noise *= float(rng.uniform(10.0, 40.0)) / max(float(noise.std()), 1e-6)
    mask = np.zeros((height, width), np.float32)
    y0, x0 = int(rng.integers(0, height // 2)), int(rng.integers(0, width // 2))
    mask[y0 : y0 + height // 2, x0 : x0 + width // 2] = 1.0
    mask = cv2.GaussianBlur(mask, (0, 0), 8.0)
    return (noise * mask)[:, :, None]


def noise_frame(seed: int, size: int = 512) -> np.ndarray:
    """Plain uniform RGB noise: the worst case for a correlation detector that could be fooled."""
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


@functools.lru_cache(maxsize=8)
def _portrait(name: str, size: int) -> np.ndarray:
    from demo.art import DEMO_STYLES, draw_portrait

    return np.asarray(draw_portrait(DEMO_STYLES[name], size=size).convert("RGB"))


def portrait_frame(name: str, size: int = 512) -> np.ndarray:
    """A demo character's portrait (characters/demo_art.py) as an RGB array."""
    return _portrait(name, size).copy()


def portrait_names() -> list[str]:
    from demo.art import DEMO_STYLES

    return sorted(DEMO_STYLES)


def moving_clip(
    source: np.ndarray,
    frames: int = 25,
    size: int | tuple[int, int] = 512,
    drift: tuple[float, float] = (0.7, 0.4),
    zoom: float = 0.002,
) -> list[np.ndarray]:
    """Frames of a slow camera move over source: per-frame translation (pixels) and zoom, like a talking-head clip.

    size: the side of square frames, or (width, height).
    """
    height, width = source.shape[:2]
    out_w, out_h = (size, size) if isinstance(size, int) else size
    clip = []
    for index in range(frames):
        scale = max(out_w, out_h) / min(height, width) * (1.08 + zoom * index)
        cx, cy = width / 2 + drift[0] * index / scale, height / 2 + drift[1] * index / scale
        matrix = np.array([[scale, 0.0, out_w / 2 - scale * cx], [0.0, scale, out_h / 2 - scale * cy]], dtype=np.float64)
        clip.append(cv2.warpAffine(source, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return clip


def h264_roundtrip(frames: list[np.ndarray], crf: int = 23, preset: str = "veryfast", fps: int = 25) -> list[np.ndarray]:
    """Encode RGB frames with libx264 (yuv420p) through ffmpeg and decode them back, as a real upload would be."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    height, width = frames[0].shape[:2]
    if height % 2 or width % 2:
        raise ValueError("yuv420p needs even frame sides")
    raw = b"".join(np.ascontiguousarray(frame, dtype=np.uint8).tobytes() for frame in frames)
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "clip.mp4"
        encode = [
            ffmpeg,
            "-v",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(fps),
            "-i",
            "-",
        ]
        encode += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-y", str(video)]
        subprocess.run(encode, input=raw, check=True, capture_output=True)
        decode = [ffmpeg, "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        decoded = subprocess.run(decode, check=True, capture_output=True).stdout
    clip = np.frombuffer(decoded, dtype=np.uint8).reshape(-1, height, width, 3)
    return [frame.copy() for frame in clip]


def downscale(frame: np.ndarray, factor: float = 0.5) -> np.ndarray:
    """Area-averaged downscale (what a re-uploader's resize does), keeping even sides for yuv420p."""
    height, width = frame.shape[:2]
    size = (max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def crop_borders(frame: np.ndarray, fraction: float = 0.05) -> np.ndarray:
    """Cut the same share from each border (0.05 each side = 10 % of each dimension), keeping even sides."""
    height, width = frame.shape[:2]
    dy, dx = round(height * fraction), round(width * fraction)
    cropped = frame[dy : height - dy, dx : width - dx]
    return cropped[: cropped.shape[0] // 2 * 2, : cropped.shape[1] // 2 * 2]


def crop_off_centre(frame: np.ndarray, fraction: float = 0.3) -> np.ndarray:
    """Cut fraction of the width and of the height, two thirds of it from the top and left (so the crop is not
    symmetric about the centre, as a re-poster's rarely is), keeping even sides."""
    height, width = frame.shape[:2]
    dy, dx = round(height * fraction), round(width * fraction)
    cropped = frame[2 * dy // 3 : height - dy // 3, 2 * dx // 3 : width - dx // 3]
    return np.ascontiguousarray(cropped[: cropped.shape[0] // 2 * 2, : cropped.shape[1] // 2 * 2])


def rotate(frame: np.ndarray, degrees: float) -> np.ndarray:
    """Turn the picture about its centre (counter-clockwise for positive degrees), same size, black corners."""
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(frame, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def mirror(frame: np.ndarray, vertical: bool = False) -> np.ndarray:
    """Left-right (or, with vertical, upside-down) mirror image."""
    return np.ascontiguousarray(frame[::-1] if vertical else frame[:, ::-1])


def psnr(original: np.ndarray, marked: np.ndarray) -> float:
    """Peak signal-to-noise ratio over all RGB samples, in dB."""
    error = np.mean((original.astype(np.float64) - marked.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else float(10.0 * np.log10(255.0**2 / error))


def brightness_contrast(frame: np.ndarray, gain: float = 0.8, offset: float = 30.0) -> np.ndarray:
    """A re-poster's levels tweak: contrast times gain, then brightness plus offset (8-bit levels)."""
    return cv2.convertScaleAbs(frame, alpha=gain, beta=offset)


Frames = list[np.ndarray]
Edit = Callable[[Frames], Frames]


def reencoded(change: Callable[[np.ndarray], np.ndarray], crf: int) -> Edit:
    """An edit applied to every frame, then the H.264 re-encode every re-post ends with."""
    return lambda frames: h264_roundtrip([change(frame) for frame in frames], crf=crf)


def repost_edits(crf: int = 30) -> dict[str, Edit]:
    """What re-posters do to a clip, each followed by an H.264 re-encode at crf (the named CRFs excepted)."""
    return {
        "mirror": reencoded(mirror, crf),
        "vertical_flip": reencoded(functools.partial(mirror, vertical=True), crf),
        **{
            f"rotate_{degrees:g}": reencoded(functools.partial(rotate, degrees=degrees), crf)
            for degrees in (3.0, 5.0, 10.0, -10.0)
        },
        **{f"downscale_{factor:g}": reencoded(functools.partial(downscale, factor=factor), crf) for factor in (0.35, 0.3)},
        "crop_30_off_centre": reencoded(functools.partial(crop_off_centre, fraction=0.3), crf),
        "crf30": reencoded(np.asarray, 30),
        "crf35": reencoded(np.asarray, 35),
        "crop_25_scale_0.5_crf30": reencoded(lambda frame: downscale(crop_off_centre(frame, 0.25), 0.5), 30),
        "mirror_rotate_5_scale_0.5_crf30": reencoded(lambda frame: downscale(rotate(mirror(frame), 5.0), 0.5), 30),
        "brightness_contrast": reencoded(brightness_contrast, crf),
        "fps_15": lambda frames: h264_roundtrip(frames[::2], crf=crf, fps=15),
    }
