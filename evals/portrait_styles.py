"""Procedural drawn and rendered characters for the photo detector's evaluation set.

Each generator makes a different kind of non-photograph a creator might upload: flat vector
cartoons, anime-style cel shading, painterly brushwork (many colours, soft edges: the hard
case), smooth-shaded and low-poly 3D renders, pencil sketches on grainy paper (noisy and grey:
another hard case) and cartoon animals. All are seeded, so the evaluation set can be rebuilt
byte for byte.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

Color = tuple[int, int, int]
SUPERSAMPLE = 2

SKINS: list[Color] = [
    (250, 214, 190),
    (236, 190, 160),
    (198, 140, 104),
    (141, 94, 66),
    (96, 64, 48),
    (170, 220, 160),
    (180, 200, 250),
]
HAIRS: list[Color] = [
    (30, 24, 26),
    (120, 72, 40),
    (238, 200, 110),
    (200, 60, 50),
    (90, 140, 230),
    (240, 150, 200),
    (230, 230, 240),
]
EYES: list[Color] = [(60, 120, 200), (70, 150, 90), (120, 70, 40), (170, 60, 180), (220, 120, 40)]
BACKDROPS: list[Color] = [(250, 240, 220), (200, 230, 250), (255, 210, 220), (220, 250, 220), (60, 60, 90), (250, 250, 250)]


def _mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _darker(color: Color, amount: float) -> Color:
    return _mix(color, (0, 0, 0), amount)


def _lighter(color: Color, amount: float) -> Color:
    return _mix(color, (255, 255, 255), amount)


class _Sheet:
    """A supersampled canvas addressed in 0..1 units, so generators ignore resolution."""

    def __init__(self, size: int, background: Color) -> None:
        self.size = size
        self.px = size * SUPERSAMPLE
        self.image = Image.new("RGB", (self.px, self.px), background)
        self.draw = ImageDraw.Draw(self.image)

    def box(self, cx: float, cy: float, rx: float, ry: float) -> list[float]:
        return [(cx - rx) * self.px, (cy - ry) * self.px, (cx + rx) * self.px, (cy + ry) * self.px]

    def ellipse(self, cx, cy, rx, ry, fill=None, outline=None, width: float = 0.0) -> None:
        self.draw.ellipse(self.box(cx, cy, rx, ry), fill=fill, outline=outline, width=round(width * self.px))

    def polygon(self, points, fill=None, outline=None, width: float = 0.0) -> None:
        pts = [(x * self.px, y * self.px) for x, y in points]
        self.draw.polygon(pts, fill=fill, outline=outline, width=max(0, round(width * self.px)))

    def line(self, points, fill, width: float) -> None:
        self.draw.line(
            [(x * self.px, y * self.px) for x, y in points], fill=fill, width=max(1, round(width * self.px)), joint="curve"
        )

    def arc(self, cx, cy, rx, ry, start, end, fill, width: float) -> None:
        self.draw.arc(self.box(cx, cy, rx, ry), start, end, fill=fill, width=max(1, round(width * self.px)))

    def mask(self, paint: Callable[[ImageDraw.ImageDraw, _Sheet], None]) -> Image.Image:
        mask = Image.new("L", (self.px, self.px), 0)
        paint(ImageDraw.Draw(mask), self)
        return mask

    def glaze(self, color: Color, mask: Image.Image, opacity: float = 1.0) -> None:
        if opacity < 1.0:
            mask = mask.point(lambda value: round(value * opacity))
        self.image.paste(color, (0, 0, self.px, self.px), mask)

    def result(self) -> Image.Image:
        return self.image.resize((self.size, self.size), Image.Resampling.LANCZOS)


def _gradient_background(sheet: _Sheet, top: Color, bottom: Color) -> None:
    ramp = Image.linear_gradient("L").resize((sheet.px, sheet.px))
    sheet.image.paste(Image.composite(Image.new("RGB", ramp.size, bottom), Image.new("RGB", ramp.size, top), ramp))


# --- flat and cel-shaded humans --------------------------------------------------------------


def cartoon_face(rng: random.Random, size: int = 512, *, cel: bool = False) -> Image.Image:
    """A flat vector-style bust; with cel=True, anime proportions and hard-edged two-tone shading."""
    background = rng.choice(BACKDROPS)
    sheet = _Sheet(size, background)
    if rng.random() < 0.5:
        _gradient_background(sheet, background, _mix(background, rng.choice(BACKDROPS), 0.6))
    skin, hair, eye = rng.choice(SKINS), rng.choice(HAIRS), rng.choice(EYES)
    ink = _darker(skin, 0.7) if cel else (30, 24, 30)
    line = rng.uniform(0.003, 0.007)
    cx, cy = 0.5 + rng.uniform(-0.04, 0.04), 0.45 + rng.uniform(-0.03, 0.03)
    rx, ry = rng.uniform(0.17, 0.22), rng.uniform(0.21, 0.26)
    shirt = rng.choice(HAIRS + EYES)
    # hair behind, body, neck, head
    sheet.ellipse(cx, cy - ry * 0.15, rx * 1.25, ry * 1.15, fill=hair, outline=ink, width=line)
    sheet.polygon([(cx - 0.36, 1.02), (cx - 0.28, 0.8), (cx + 0.28, 0.8), (cx + 0.36, 1.02)], fill=shirt, outline=ink, width=line)
    sheet.polygon([(cx - 0.06, cy + ry * 0.7), (cx + 0.06, cy + ry * 0.7), (cx + 0.07, 0.82), (cx - 0.07, 0.82)], fill=skin)
    sheet.ellipse(cx, cy, rx, ry, fill=skin, outline=ink, width=line)
    if cel:
        _cel_shadow(sheet, cx, cy, rx, ry, skin, light_from=rng.choice((-1, 1)))
    _fringe(sheet, rng, cx, cy, rx, ry, hair, ink, line, cel)
    eye_y = cy + ry * (0.12 if cel else 0.02)
    eye_dx, eye_r = rx * 0.45, rx * (0.27 if cel else 0.17)
    for side in (-1, 1):
        _cartoon_eye(sheet, cx + side * eye_dx, eye_y, eye_r, eye, ink, line, cel)
        sheet.line(
            [(cx + side * eye_dx - eye_r, eye_y - eye_r * 1.7), (cx + side * eye_dx + eye_r, eye_y - eye_r * 1.9)],
            hair,
            line * 1.4,
        )
        if rng.random() < 0.6:
            sheet.glaze((255, 130, 140), sheet.mask(_blush(cx + side * eye_dx * 1.2, eye_y + eye_r * 1.6, eye_r)), opacity=0.35)
    mouth_y = cy + ry * 0.55
    if rng.random() < 0.5:
        sheet.arc(cx, mouth_y - 0.02, rx * 0.25, 0.03, 20, 160, ink, line)
    else:
        sheet.draw.chord(
            sheet.box(cx, mouth_y - 0.01, rx * 0.22, 0.035), 0, 180, fill=(170, 50, 60), outline=ink, width=round(line * sheet.px)
        )
    sheet.line([(cx, cy + ry * 0.25), (cx - 0.008, cy + ry * 0.35)], _darker(skin, 0.35), line)
    return sheet.result()


def _blush(x: float, y: float, r: float) -> Callable:
    def paint(draw: ImageDraw.ImageDraw, sheet: _Sheet) -> None:
        draw.ellipse(sheet.box(x, y, r * 1.1, r * 0.5), fill=255)

    return paint


def _cel_shadow(sheet: _Sheet, cx: float, cy: float, rx: float, ry: float, skin: Color, light_from: int) -> None:
    """Hard-edged shadow: the head minus a copy shifted towards the light."""
    head = sheet.mask(lambda draw, s: draw.ellipse(s.box(cx, cy, rx, ry), fill=255))
    lit = sheet.mask(lambda draw, s: draw.ellipse(s.box(cx + light_from * rx * 0.25, cy - ry * 0.1, rx, ry), fill=255))
    sheet.glaze(_mix(_darker(skin, 0.18), (150, 60, 90), 0.15), ImageChops.subtract(head, lit))


def _fringe(sheet: _Sheet, rng: random.Random, cx, cy, rx, ry, hair: Color, ink: Color, line: float, cel: bool) -> None:
    """Spiky or scalloped bangs over the forehead."""
    spikes = rng.randint(4, 8)
    points = [(cx - rx * 1.15, cy - ry * 0.05)]
    for i in range(spikes + 1):
        x = cx - rx * 1.1 + 2.2 * rx * i / spikes
        points.append((x, cy - ry * rng.uniform(0.95, 1.2)))
        if i < spikes:
            points.append((x + 1.1 * rx / spikes, cy - ry * rng.uniform(0.25, 0.55)))
    points.append((cx + rx * 1.15, cy - ry * 0.05))
    points.append((cx, cy - ry * 1.3))
    sheet.polygon(points, fill=hair, outline=ink, width=line)
    if cel:
        sheet.arc(cx, cy - ry * 0.85, rx * 0.7, ry * 0.2, 200, 340, _lighter(hair, 0.5), line * 2.5)


def _cartoon_eye(sheet: _Sheet, x: float, y: float, r: float, iris: Color, ink: Color, line: float, cel: bool) -> None:
    sheet.ellipse(x, y, r, r * (1.25 if cel else 1.0), fill=(255, 255, 255), outline=ink, width=line)
    sheet.ellipse(x, y + r * 0.1, r * 0.7, r * (0.95 if cel else 0.7), fill=iris)
    if cel:
        sheet.ellipse(x, y + r * 0.35, r * 0.55, r * 0.5, fill=_lighter(iris, 0.35))
    sheet.ellipse(x, y + r * 0.1, r * 0.35, r * 0.45, fill=(20, 16, 24))
    sheet.ellipse(x - r * 0.25, y - r * 0.25, r * 0.2, r * 0.2, fill=(255, 255, 255))


# --- painterly --------------------------------------------------------------------------------


def painterly(rng: random.Random, size: int = 512) -> Image.Image:
    """Brush strokes sampled from a cartoon underpainting, then a canvas-grain or oil filter."""
    base = np.asarray(cartoon_face(rng, size, cel=rng.random() < 0.5).filter(ImageFilter.GaussianBlur(3)))
    canvas = Image.fromarray(base.copy())
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(2500, 4000)):
        x, y = rng.uniform(0, size - 1), rng.uniform(0, size - 1)
        colour = tuple(int(np.clip(c + rng.gauss(0, 10), 0, 255)) for c in base[int(y), int(x)])
        angle = rng.uniform(0, math.pi)
        length = rng.uniform(5, 18)
        dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=colour, width=rng.randint(3, 8))
    finish = rng.choice(("grain", "oil", "smooth"))
    if finish == "oil":
        canvas = canvas.filter(ImageFilter.ModeFilter(5))
    elif finish == "smooth":
        canvas = canvas.filter(ImageFilter.SMOOTH_MORE)
    else:
        grain = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, (size, size, 1))
        canvas = Image.fromarray(np.clip(np.asarray(canvas) + grain, 0, 255).astype(np.uint8))
    return canvas


# --- 3D renders ------------------------------------------------------------------------------


def render_3d(rng: random.Random, size: int = 512, *, low_poly: bool = False) -> Image.Image:
    """A ray-cast character of ellipsoids with Phong lighting; low_poly flat-shades a triangulation."""
    px = size * (1 if low_poly else SUPERSAMPLE)
    skin = rng.choice(SKINS)
    hair = rng.choice(HAIRS)
    body_colour = rng.choice(EYES + HAIRS)
    iris = rng.choice(EYES)
    tilt = rng.uniform(-0.08, 0.08)
    parts = [  # centre (x, y, z), radii, colour, kind
        ((0.5, 1.05, 0.5), (0.36, 0.3, 0.25), body_colour, "body"),
        ((0.5 + tilt, 0.46, 0.5), (0.2, 0.24, 0.2), skin, "head"),
        ((0.5 + tilt, 0.36, 0.52), (0.215, 0.17, 0.2), hair, "hair"),
        ((0.5 + tilt - 0.075, 0.47, 0.34), (0.05, 0.05, 0.05), (250, 250, 250), "eye"),
        ((0.5 + tilt + 0.075, 0.47, 0.34), (0.05, 0.05, 0.05), (250, 250, 250), "eye"),
        ((0.5 + tilt, 0.54, 0.3), (0.03, 0.04, 0.04), _darker(skin, 0.05), "nose"),
        ((0.5 + tilt - 0.2, 0.5, 0.5), (0.035, 0.06, 0.04), skin, "ear"),
        ((0.5 + tilt + 0.2, 0.5, 0.5), (0.035, 0.06, 0.04), skin, "ear"),
    ]
    light = np.array([rng.uniform(-0.7, 0.7), -0.6, -1.0])
    light /= np.linalg.norm(light)
    ys, xs = (np.mgrid[0:px, 0:px] + 0.5) / px
    depth = np.full((px, px), np.inf)
    image = _background_gradient(px, rng.choice(BACKDROPS), rng.choice(BACKDROPS))
    normal = np.zeros((px, px, 3))
    albedo = image.copy()
    for centre, radii, colour, kind in parts:
        u, v = (xs - centre[0]) / radii[0], (ys - centre[1]) / radii[1]
        inside = u * u + v * v < 1
        if kind == "hair":
            inside &= ys < 0.43 + 0.05 * np.cos((xs - centre[0]) * 25)
        w = np.sqrt(np.clip(1 - u * u - v * v, 0, 1))
        z = centre[2] - radii[2] * w
        hit = inside & (z < depth)
        depth[hit] = z[hit]
        n = np.stack([u / radii[0], v / radii[1], -w / radii[2]], axis=-1)
        n /= np.linalg.norm(n, axis=-1, keepdims=True) + 1e-9
        normal[hit] = n[hit]
        albedo[hit] = colour
        if kind == "eye":
            gaze = np.array([0.0, 0.05, -1.0]) / np.linalg.norm([0.0, 0.05, -1.0])
            facing = n @ gaze
            albedo[hit & (facing > 0.8)] = iris
            albedo[hit & (facing > 0.93)] = (15, 12, 20)
    if low_poly:
        normal, albedo = _facet(rng, normal, albedo, depth, px)
    shaded = _phong(normal, albedo, light)
    hit_any = np.isfinite(depth)
    image[hit_any] = shaded[hit_any]
    out = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    return out if low_poly else out.resize((size, size), Image.Resampling.LANCZOS)


def _background_gradient(px: int, top: Color, bottom: Color) -> np.ndarray:
    t = np.linspace(0, 1, px)[:, None, None]
    return np.broadcast_to(np.array(top) * (1 - t) + np.array(bottom) * t, (px, px, 3)).astype(np.float64).copy()


def _phong(normal: np.ndarray, albedo: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Ambient + Lambert + Blinn specular + a cool rim light, the usual toy-render look."""
    view = np.array([0.0, 0.0, -1.0])
    half = (light + view) / np.linalg.norm(light + view)
    diffuse = np.clip(normal @ light, 0, 1)[..., None]
    specular = (np.clip(normal @ half, 0, 1) ** 40)[..., None]
    rim = (np.clip(1 - np.abs(normal @ view), 0, 1) ** 3)[..., None]
    return albedo * (0.35 + 0.7 * diffuse) + 255 * 0.35 * specular + np.array([90.0, 110.0, 160.0]) * 0.5 * rim


def _facet(rng: random.Random, normal: np.ndarray, albedo: np.ndarray, depth: np.ndarray, px: int):
    """Replace per-pixel normals and colours by one value per Delaunay triangle (the low-poly look)."""
    from scipy.spatial import Delaunay

    count = rng.randint(350, 700)
    points = np.array([[rng.uniform(0, px - 1), rng.uniform(0, px - 1)] for _ in range(count)])
    corners = np.array([[0, 0], [0, px - 1], [px - 1, 0], [px - 1, px - 1]])
    triangulation = Delaunay(np.vstack([points, corners]))
    ys, xs = np.mgrid[0:px, 0:px]
    index = triangulation.find_simplex(np.stack([xs.ravel(), ys.ravel()], axis=1)).reshape(px, px)
    flat_normal, flat_albedo = normal.copy(), albedo.copy()
    for simplex in range(len(triangulation.simplices)):
        region = (index == simplex) & np.isfinite(depth)
        if region.any():
            n = normal[region].mean(axis=0)
            flat_normal[region] = n / (np.linalg.norm(n) + 1e-9)
            flat_albedo[region] = np.median(albedo[region], axis=0)
    return flat_normal, flat_albedo


# --- pencil sketch ---------------------------------------------------------------------------


def pencil_sketch(rng: random.Random, size: int = 512) -> Image.Image:
    """Graphite lines and hatching on grainy paper: noisy and grey, unlike most drawings."""
    noise = np.random.default_rng(rng.randint(0, 2**31))
    paper = 236 + noise.normal(0, 5, (size, size))
    paper = np.asarray(
        Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7)), dtype=float
    )
    layer = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(layer)
    cx, cy, rx, ry = size * 0.5, size * 0.45, size * rng.uniform(0.17, 0.21), size * rng.uniform(0.22, 0.26)

    def stroke(points: list[tuple[float, float]], strength: int) -> None:
        for _ in range(rng.randint(2, 3)):
            jittered = [(x + rng.gauss(0, 1.5), y + rng.gauss(0, 1.5)) for x, y in points]
            draw.line(jittered, fill=strength, width=rng.randint(1, 2))

    ellipse = [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 60)]
    stroke(ellipse, 150)
    for side in (-1, 1):
        eye = [
            (cx + side * rx * 0.45 + rx * 0.2 * math.cos(t), cy + rx * 0.1 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 24)
        ]
        stroke(eye, 170)
        draw.ellipse([cx + side * rx * 0.45 - 5, cy - 5, cx + side * rx * 0.45 + 5, cy + 5], fill=200)
    stroke([(cx, cy + ry * 0.1), (cx - 6, cy + ry * 0.35), (cx + 4, cy + ry * 0.38)], 140)
    stroke([(cx - rx * 0.3, cy + ry * 0.58), (cx, cy + ry * 0.62), (cx + rx * 0.3, cy + ry * 0.58)], 160)
    for i in range(rng.randint(25, 45)):  # hair strands
        x0 = cx - rx * 1.1 + i * 2.2 * rx / 40
        stroke([(x0, cy - ry * 0.4), (x0 + rng.gauss(0, 10), cy - ry * 1.15), (x0 + rng.gauss(0, 20), cy - ry * 0.7)], 120)
    side = rng.choice((-1, 1))
    for i in range(30):  # hatching on the shadow side
        x = cx + side * rx * (0.55 + i * 0.015)
        draw.line([(x, cy - ry * 0.5 + i * 2), (x + side * 14, cy + ry * 0.6 + i)], fill=70, width=1)
    stroke([(cx - rx * 0.4, cy + ry), (cx - rx * 0.5, size * 0.95)], 140)
    stroke([(cx + rx * 0.4, cy + ry), (cx + rx * 0.5, size * 0.95)], 140)
    graphite = np.asarray(layer.filter(ImageFilter.GaussianBlur(0.6)), dtype=float) / 255.0
    grey = paper * (1 - 0.75 * graphite)
    tint = np.array([1.0, 0.98, 0.93])
    return Image.fromarray(np.clip(grey[..., None] * tint, 0, 255).astype(np.uint8))


# --- animals ---------------------------------------------------------------------------------


def cartoon_animal(rng: random.Random, size: int = 512) -> Image.Image:
    """A cat, fox, bear or dog head: the policy allows animal characters, photographed or drawn."""
    kind = rng.choice(("cat", "fox", "bear", "dog"))
    fur = {"cat": (120, 120, 130), "fox": (230, 120, 40), "bear": (120, 80, 50), "dog": (220, 190, 140)}[kind]
    fur = _mix(fur, rng.choice(HAIRS), 0.2)
    sheet = _Sheet(size, rng.choice(BACKDROPS))
    ink = (40, 30, 30)
    line = 0.005
    cx, cy, r = 0.5, 0.52, rng.uniform(0.24, 0.3)
    for side in (-1, 1):
        if kind in ("cat", "fox"):
            sheet.polygon(
                [(cx + side * r * 0.9, cy - r * 0.3), (cx + side * r * 0.75, cy - r * 1.35), (cx + side * r * 0.2, cy - r * 0.8)],
                fill=fur,
                outline=ink,
                width=line,
            )
        elif kind == "dog":
            sheet.ellipse(cx + side * r * 0.95, cy - r * 0.1, r * 0.25, r * 0.6, fill=_darker(fur, 0.35), outline=ink, width=line)
        else:
            sheet.ellipse(cx + side * r * 0.7, cy - r * 0.75, r * 0.28, r * 0.28, fill=fur, outline=ink, width=line)
    sheet.ellipse(cx, cy, r, r * 0.9, fill=fur, outline=ink, width=line)
    sheet.ellipse(cx, cy + r * 0.35, r * 0.45, r * 0.32, fill=_lighter(fur, 0.6), outline=ink, width=line * 0.6)
    sheet.polygon([(cx - r * 0.1, cy + r * 0.18), (cx + r * 0.1, cy + r * 0.18), (cx, cy + r * 0.3)], fill=(40, 30, 35))
    for side in (-1, 1):
        sheet.ellipse(cx + side * r * 0.38, cy - r * 0.1, r * 0.13, r * 0.16, fill=(25, 20, 20))
        sheet.ellipse(cx + side * r * 0.38 - r * 0.04, cy - r * 0.15, r * 0.045, r * 0.045, fill=(255, 255, 255))
        if kind == "cat":
            for k in (-1, 0, 1):
                sheet.line(
                    [(cx + side * r * 0.35, cy + r * 0.35 + k * r * 0.06), (cx + side * r * 1.1, cy + r * 0.3 + k * r * 0.12)],
                    ink,
                    0.003,
                )
    return sheet.result()
