"""Portraits of the demo characters, drawn by our own code so we may ship them.

Each is a front-facing cartoon bust with the features a talking-head animator needs in fixed
places (see face_landmarks): two open eyes with whites, irises, pupils and highlights, and a
closed mouth with lips. Shapes are drawn at twice the size and downsampled with LANCZOS for
anti-aliasing. Nothing is random except seeded speckle, so the same style gives the same bytes.
"""

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

Color = tuple[int, int, int]
Point = tuple[float, float]

SUPERSAMPLE = 2

# Face geometry in units of the portrait's side, shared by every human style (the robot keeps the
# eyes and mouth in the same places), so animation can find the features without detecting them.
HEAD_CENTER = (0.5, 0.43)
HEAD_RY = 0.2
EYE_Y = 0.45
EYE_DX = 0.068
EYE_RX = 0.04
BROW_Y = 0.398
NOSE_Y = 0.512
MOUTH_Y = 0.568
MOUTH_HALF_WIDTH = 0.046
NECK_HALF_WIDTH = 0.056
OUTLINE = 0.0035


@dataclass(frozen=True)
class PortraitStyle:
    """Everything that varies between characters; the layout itself is shared."""

    skin: Color
    hair: Color
    hair_style: str  # "wavy_bob" | "receding" | "curly" | "none"
    eye: Color
    clothing: Color
    clothing_style: str  # "flight_coat" | "tweed" | "raincoat" | "chassis"
    background_top: Color
    background_bottom: Color
    accessory: str | None = None  # "goggles" | "glasses" | "earrings" | "antenna"
    backdrop: str = "plain"  # "clouds" | "books" | "storm" | "dots" | "plain"
    facial_hair: str | None = None  # "beard"
    lips: Color | None = None  # None: derived from the skin
    accent: Color = (212, 170, 70)  # buttons, rims, trims
    face_width: float = 1.0  # relative to the default head width
    lashes: bool = False
    freckles: bool = False
    age_lines: bool = False
    robot: bool = False


DEMO_STYLES: dict[str, PortraitStyle] = {
    # Sky-pirate captain: copper bob, brass flying goggles up on the forehead, navy flight coat.
    "juniper": PortraitStyle(
        skin=(248, 210, 182),
        hair=(190, 72, 36),
        hair_style="wavy_bob",
        eye=(70, 140, 92),
        clothing=(38, 62, 98),
        clothing_style="flight_coat",
        background_top=(104, 170, 230),
        background_bottom=(252, 212, 170),
        accessory="goggles",
        backdrop="clouds",
        lips=(206, 96, 92),
        accent=(214, 168, 74),
        lashes=True,
        freckles=True,
    ),
    # Elderly professor: grey side tufts, full beard, round wire glasses, tweed and a bow tie.
    "quill": PortraitStyle(
        skin=(236, 196, 168),
        hair=(206, 206, 212),
        hair_style="receding",
        eye=(88, 118, 160),
        clothing=(120, 92, 64),
        clothing_style="tweed",
        background_top=(74, 58, 82),
        background_bottom=(176, 128, 92),
        accessory="glasses",
        backdrop="books",
        facial_hair="beard",
        accent=(150, 34, 52),
        face_width=0.96,
        age_lines=True,
    ),
    # Lighthouse keeper: dark skin, black curly hair, gold hoops, yellow raincoat, stormy night.
    "mira": PortraitStyle(
        skin=(122, 80, 56),
        hair=(32, 26, 28),
        hair_style="curly",
        eye=(92, 56, 30),
        clothing=(248, 198, 40),
        clothing_style="raincoat",
        background_top=(22, 38, 70),
        background_bottom=(58, 112, 132),
        accessory="earrings",
        backdrop="storm",
        lips=(112, 58, 52),
        accent=(230, 184, 80),
        lashes=True,
    ),
    # Friendly robot: brushed-metal head, cyan LED eyes, a lit grille mouth, an antenna.
    "bolt": PortraitStyle(
        skin=(178, 190, 204),
        hair=(90, 100, 116),
        hair_style="none",
        eye=(70, 220, 255),
        clothing=(236, 122, 52),
        clothing_style="chassis",
        background_top=(255, 196, 128),
        background_bottom=(226, 104, 128),
        accessory="antenna",
        backdrop="dots",
        lips=(60, 70, 84),
        accent=(236, 122, 52),
        robot=True,
    ),
}


def draw_portrait(style: PortraitStyle, *, size: int = 768) -> Image.Image:
    """The style's portrait as a square RGB image of size×size pixels."""
    canvas = _Canvas(size * SUPERSAMPLE)
    _background(canvas, style)
    if style.robot:
        _robot(canvas, style)
    else:
        _human(canvas, style)
    return canvas.image.resize((size, size), Image.Resampling.LANCZOS)


def face_landmarks(size: int = 768) -> dict[str, Point]:
    """Pixel positions of the animated features (eye centres, mouth centre and corners)."""
    points = {
        "left_eye": (0.5 - EYE_DX, EYE_Y),
        "right_eye": (0.5 + EYE_DX, EYE_Y),
        "mouth": (0.5, MOUTH_Y),
        "mouth_left": (0.5 - MOUTH_HALF_WIDTH, MOUTH_Y),
        "mouth_right": (0.5 + MOUTH_HALF_WIDTH, MOUTH_Y),
    }
    return {name: (x * size, y * size) for name, (x, y) in points.items()}


# --- drawing primitives -----------------------------------------------------------------------


class _Pen:
    """ImageDraw in portrait units (0..1 of the side), so shapes don't depend on resolution."""

    def __init__(self, image: Image.Image) -> None:
        self.px = image.width
        self.draw = ImageDraw.Draw(image)

    def _pts(self, points: Sequence[Point]) -> list[Point]:
        return [(x * self.px, y * self.px) for x, y in points]

    def _w(self, width: float) -> int:
        return max(1, round(width * self.px)) if width else 0

    def ellipse(self, cx, cy, rx, ry, fill=None, outline=None, width=0.0) -> None:
        box = [(cx - rx) * self.px, (cy - ry) * self.px, (cx + rx) * self.px, (cy + ry) * self.px]
        self.draw.ellipse(box, fill=fill, outline=outline, width=self._w(width))

    def circle(self, cx, cy, r, fill=None, outline=None, width=0.0) -> None:
        self.ellipse(cx, cy, r, r, fill, outline, width)

    def polygon(self, points, fill=None, outline=None, width=0.0) -> None:
        self.draw.polygon(self._pts(points), fill=fill)
        if outline:
            self.line([*points, points[0]], outline, width)

    def line(self, points, fill, width) -> None:
        pts = self._pts(points)
        w = self._w(width)
        self.draw.line(pts, fill=fill, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            self.draw.ellipse([x - w / 2, y - w / 2, x + w / 2, y + w / 2], fill=fill)

    def rounded(self, x0, y0, x1, y1, radius, fill=None, outline=None, width=0.0) -> None:
        box = [x0 * self.px, y0 * self.px, x1 * self.px, y1 * self.px]
        self.draw.rounded_rectangle(box, round(radius * self.px), fill=fill, outline=outline, width=self._w(width))


class _Canvas:
    """The supersampled RGB image plus helpers for clipped and soft (blurred) paint."""

    def __init__(self, px: int) -> None:
        self.px = px
        self.image = Image.new("RGB", (px, px))
        self.pen = _Pen(self.image)

    def mask(self, shape: Callable[[_Pen], None], blur: float = 0.0) -> Image.Image:
        """An L mask with shape drawn in white (use fill=255), optionally feathered."""
        mask = Image.new("L", (self.px, self.px), 0)
        shape(_Pen(mask))
        if blur:
            mask = mask.filter(ImageFilter.GaussianBlur(blur * self.px))
        return mask

    def glaze(self, color: Color, mask: Image.Image, clip: Image.Image | None = None, opacity: float = 1.0) -> None:
        """Lay a colour through a mask: soft shading, blush, glows."""
        if clip is not None:
            mask = ImageChops.multiply(mask, clip)
        if opacity < 1.0:
            mask = mask.point(lambda value: round(value * opacity))
        self.image.paste(color, (0, 0, self.px, self.px), mask)

    def clipped(self, clip: Image.Image, paint: Callable[[_Pen], None]) -> None:
        """Draw crisp shapes that only show inside clip (irises inside the eye whites)."""
        layer = Image.new("RGBA", (self.px, self.px), (0, 0, 0, 0))
        paint(_Pen(layer))
        alpha = ImageChops.multiply(layer.getchannel("A"), clip)
        self.image.paste(layer.convert("RGB"), (0, 0), alpha)


def _mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _shade(color: Color, amount: float) -> Color:
    """Darker (amount > 0) or lighter (amount < 0) version of a colour."""
    return _mix(color, (0, 0, 0), amount) if amount > 0 else _mix(color, (255, 255, 255), -amount)


def _ink(color: Color) -> Color:
    """Outline colour for a fill: a deep, slightly warm shade rather than flat black."""
    return _mix(_shade(color, 0.62), (60, 30, 30), 0.25)


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 24) -> list[Point]:
    out = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


def _path(*curves: tuple[Point, Point, Point, Point]) -> list[Point]:
    """Chain cubic curves into one point list."""
    points: list[Point] = []
    for curve in curves:
        points.extend(_bezier(*curve)[1 if points else 0 :])
    return points


def _mirror(points: Sequence[Point]) -> list[Point]:
    return [(1 - x, y) for x, y in points]


# --- background -------------------------------------------------------------------------------


def _background(canvas: _Canvas, style: PortraitStyle) -> None:
    """Vertical gradient, a themed backdrop, and a soft light behind the head."""
    gradient = Image.linear_gradient("L").resize((canvas.px, canvas.px))
    canvas.image.paste(
        Image.composite(
            Image.new("RGB", gradient.size, style.background_bottom),
            Image.new("RGB", gradient.size, style.background_top),
            gradient,
        )
    )
    {
        "clouds": _clouds,
        "books": _books,
        "storm": _storm,
        "dots": _dots,
    }.get(style.backdrop, lambda canvas, style: None)(canvas, style)
    halo = canvas.mask(lambda pen: pen.ellipse(0.5, 0.42, 0.3, 0.3, fill=255), blur=0.08)
    canvas.glaze(_shade(_mix(style.background_top, style.background_bottom, 0.5), -0.5), halo, opacity=0.45)


def _clouds(canvas: _Canvas, style: PortraitStyle) -> None:
    puffs = [
        (0.12, 0.2, 0.09),
        (0.22, 0.17, 0.07),
        (0.05, 0.24, 0.06),
        (0.86, 0.13, 0.08),
        (0.95, 0.16, 0.07),
        (0.78, 0.17, 0.055),
        (0.9, 0.62, 0.07),
        (0.1, 0.66, 0.06),
    ]
    shadow = canvas.mask(lambda pen: [pen.ellipse(x, y + 0.02, r * 1.2, r * 0.55, fill=255) for x, y, r in puffs], blur=0.01)
    canvas.glaze(_mix(style.background_top, (200, 170, 190), 0.5), shadow, opacity=0.6)
    body = canvas.mask(lambda pen: [pen.ellipse(x, y, r * 1.2, r * 0.6, fill=255) for x, y, r in puffs], blur=0.006)
    canvas.glaze((255, 252, 246), body, opacity=0.9)


def _books(canvas: _Canvas, style: PortraitStyle) -> None:
    """Shelves of book spines behind the professor, muted so the face stays the subject."""
    rng = random.Random(11)
    colors = [(120, 44, 48), (52, 78, 96), (150, 118, 60), (70, 96, 64), (96, 64, 96), (160, 140, 110)]
    pen = canvas.pen
    for shelf_y in (0.24, 0.52, 0.8):
        x = 0.0
        while x < 1.0:
            width = rng.uniform(0.025, 0.05)
            height = rng.uniform(0.17, 0.23)
            color = _mix(rng.choice(colors), style.background_top, 0.45)
            pen.rounded(x, shelf_y - height, x + width - 0.004, shelf_y, 0.004, fill=color)
            pen.rounded(
                x + 0.006,
                shelf_y - height + 0.03,
                x + width - 0.01,
                shelf_y - height + 0.04,
                0.002,
                fill=_mix(color, (230, 200, 140), 0.35),
            )
            x += width
        pen.rounded(-0.01, shelf_y, 1.01, shelf_y + 0.025, 0.004, fill=_mix((90, 60, 40), style.background_top, 0.3))
    dim = canvas.mask(lambda pen: pen.rounded(0, 0, 1, 1, 0, fill=255))
    canvas.glaze(_mix(style.background_top, style.background_bottom, 0.4), dim, opacity=0.35)


def _storm(canvas: _Canvas, style: PortraitStyle) -> None:
    """Her lighthouse on the horizon, its beam sweeping across a rainy night sky."""
    pen = canvas.pen
    lamp = (0.885, 0.55)
    beam = canvas.mask(lambda p: p.polygon([lamp, (-0.1, 0.08), (-0.1, 0.36)], fill=255), blur=0.025)
    canvas.glaze((255, 236, 170), beam, opacity=0.32)
    sea = _mix(style.background_top, (10, 20, 40), 0.3)
    pen.polygon([(0, 0.74), (1, 0.72), (1, 1), (0, 1)], fill=sea)
    pen.polygon([(0.8, 0.76), (0.84, 0.71), (0.94, 0.71), (0.98, 0.76)], fill=_shade(sea, 0.3))
    tower = [(0.862, 0.715), (0.872, 0.575), (0.898, 0.575), (0.908, 0.715)]
    pen.polygon(tower, fill=(226, 226, 232), outline=_shade(sea, 0.2), width=0.002)
    for y in (0.6, 0.655):
        pen.polygon(
            [
                (0.869 - (y - 0.6) * 0.07, y + 0.025),
                (0.871 - (y - 0.6) * 0.07, y),
                (0.899 + (y - 0.6) * 0.07, y),
                (0.901 + (y - 0.6) * 0.07, y + 0.025),
            ],
            fill=(196, 58, 52),
        )
    glow = canvas.mask(lambda p: p.circle(*lamp, 0.04, fill=255), blur=0.02)
    canvas.glaze((255, 230, 150), glow, opacity=0.9)
    pen.rounded(lamp[0] - 0.011, lamp[1] - 0.012, lamp[0] + 0.011, lamp[1] + 0.025, 0.003, fill=(255, 240, 180))
    pen.polygon(
        [(lamp[0] - 0.016, lamp[1] - 0.012), (lamp[0], lamp[1] - 0.03), (lamp[0] + 0.016, lamp[1] - 0.012)], fill=(60, 60, 70)
    )
    rng = random.Random(5)
    streaks = [(rng.uniform(-0.1, 1.0), rng.uniform(0, 1.0), rng.uniform(0.03, 0.06)) for _ in range(90)]
    rain = canvas.mask(lambda p: [p.line([(x, y), (x + length * 0.35, y + length)], 255, 0.0018) for x, y, length in streaks])
    canvas.glaze((200, 220, 235), rain, opacity=0.35)


def _dots(canvas: _Canvas, style: PortraitStyle) -> None:
    light = _shade(style.background_top, -0.35)
    for row in range(13):
        for col in range(13):
            x, y = (col + 0.5 * (row % 2)) / 12, row / 12
            canvas.pen.circle(x, y, 0.007, fill=_mix(light, style.background_bottom, y * 0.6))


# --- human ------------------------------------------------------------------------------------


def _head_outline(style: PortraitStyle, grow: float = 0.0) -> list[Point]:
    """An egg: full cheeks, narrowing to a soft chin."""
    cx, cy = HEAD_CENTER
    rx, ry = 0.158 * style.face_width + grow, HEAD_RY + grow
    points = []
    for i in range(160):
        t = 2 * math.pi * i / 160
        down = max(0.0, math.sin(t))
        width = 1 - 0.3 * down**2.2
        points.append((cx + rx * math.cos(t) * width, cy + ry * math.sin(t)))
    return points


def _human(canvas: _Canvas, style: PortraitStyle) -> None:
    skin_shadow = _mix(_shade(style.skin, 0.22), (150, 60, 70), 0.12)
    _hair_back(canvas, style)
    _clothing_back(canvas, style)
    _neck(canvas, style, skin_shadow)
    _clothing_front(canvas, style)
    _ears(canvas, style, skin_shadow)
    head = _head_outline(style)
    canvas.pen.polygon(head, fill=style.skin, outline=_ink(style.skin), width=OUTLINE)
    face = canvas.mask(lambda pen: pen.polygon(head, fill=255))
    _face_shading(canvas, style, face, skin_shadow)
    if style.facial_hair == "beard":
        _beard(canvas, style)
    _eyes(canvas, style, skin_shadow)
    _brows(canvas, style)
    _nose(canvas, style, skin_shadow)
    _mouth(canvas, style)
    if style.facial_hair == "beard":
        _moustache(canvas, style)
    _hair_front(canvas, style, face)
    _accessory(canvas, style)


def _face_shading(canvas: _Canvas, style: PortraitStyle, face: Image.Image, shadow: Color) -> None:
    """Soft side shadows, cheek blush, and freckles or wrinkles."""
    cx = HEAD_CENTER[0]
    edge = canvas.mask(lambda pen: pen.polygon(_head_outline(style, grow=-0.02), fill=255), blur=0.018)
    rim = ImageChops.subtract(face, edge)
    canvas.glaze(shadow, rim, opacity=0.7)
    blush = canvas.mask(lambda pen: [pen.ellipse(cx + dx, 0.515, 0.035, 0.02, fill=255) for dx in (-0.095, 0.095)], blur=0.014)
    canvas.glaze(_mix(style.skin, (235, 80, 90), 0.6), blush, clip=face, opacity=0.38)
    pen = canvas.pen
    if style.freckles:
        rng = random.Random(3)
        for side in (-1, 1):
            for _ in range(11):
                x = cx + side * rng.uniform(0.045, 0.12)
                y = rng.uniform(0.49, 0.53)
                pen.circle(x, y, rng.uniform(0.0022, 0.0035), fill=_mix(style.skin, (150, 80, 50), 0.45))
    if style.age_lines:
        line = _mix(style.skin, (120, 70, 60), 0.45)
        for i, y in enumerate((0.31, 0.33)):
            half = 0.07 - i * 0.012
            pen.line(
                _bezier(
                    (cx - half, y + 0.006), (cx - half / 3, y - 0.004), (cx + half / 3, y - 0.004), (cx + half, y + 0.006), 12
                ),
                line,
                0.0022,
            )
        for side in (-1, 1):
            x = cx + side * (EYE_DX + EYE_RX + 0.012)
            for dy in (-0.008, 0.006):
                pen.line([(x, EYE_Y + dy), (x + side * 0.014, EYE_Y + dy * 1.8)], line, 0.0018)
            pen.line(
                _bezier(
                    (cx + side * 0.045, 0.52), (cx + side * 0.06, 0.54), (cx + side * 0.062, 0.56), (cx + side * 0.058, 0.585), 10
                ),
                line,
                0.0022,
            )


def _ears(canvas: _Canvas, style: PortraitStyle, shadow: Color) -> None:
    rx = 0.158 * style.face_width
    for side in (-1, 1):
        x = 0.5 + side * (rx - 0.004)
        canvas.pen.ellipse(x, 0.465, 0.028, 0.044, fill=style.skin, outline=_ink(style.skin), width=OUTLINE)
        canvas.pen.ellipse(x + side * 0.006, 0.467, 0.012, 0.026, fill=shadow)


def _neck(canvas: _Canvas, style: PortraitStyle, shadow: Color) -> None:
    w = NECK_HALF_WIDTH
    points = [(0.5 - w, 0.55), (0.5 + w, 0.55), (0.5 + w + 0.01, 0.8), (0.5 - w - 0.01, 0.8)]
    canvas.pen.polygon(points, fill=style.skin, outline=_ink(style.skin), width=OUTLINE)
    under_chin = canvas.mask(lambda pen: pen.ellipse(0.5, 0.625, 0.085, 0.045, fill=255), blur=0.012)
    neck = canvas.mask(lambda pen: pen.polygon(points, fill=255))
    canvas.glaze(shadow, under_chin, clip=neck, opacity=0.9)


def _shoulders() -> list[Point]:
    """Sloping shoulders from the neck out to the arms; the bottom runs off the frame."""
    half = _path(
        ((0.5, 0.752), (0.47, 0.752), (0.42, 0.756), (0.36, 0.768)),
        ((0.36, 0.768), (0.26, 0.786), (0.17, 0.8), (0.11, 0.84)),
        ((0.11, 0.84), (0.05, 0.88), (0.03, 0.95), (0.02, 1.02)),
    )
    return half[::-1] + _mirror(half)[1:]


def _clothing_back(canvas: _Canvas, style: PortraitStyle) -> None:
    """Parts of the outfit that sit behind the neck: the raincoat hood, the coat's high collar."""
    if style.clothing_style == "raincoat":
        hood = _path(((0.3, 0.8), (0.28, 0.68), (0.38, 0.62), (0.5, 0.62)), ((0.5, 0.62), (0.62, 0.62), (0.72, 0.68), (0.7, 0.8)))
        canvas.pen.polygon(hood, fill=_shade(style.clothing, 0.12), outline=_ink(style.clothing), width=OUTLINE)
        canvas.pen.polygon(
            _path(((0.36, 0.8), (0.36, 0.7), (0.42, 0.66), (0.5, 0.66)), ((0.5, 0.66), (0.58, 0.66), (0.64, 0.7), (0.64, 0.8))),
            fill=_shade(style.clothing, 0.45),
        )
    if style.clothing_style == "flight_coat":
        collar = [(0.37, 0.8), (0.385, 0.68), (0.5, 0.705), (0.615, 0.68), (0.63, 0.8)]
        canvas.pen.polygon(collar, fill=_shade(style.clothing, 0.25), outline=_ink(style.clothing), width=OUTLINE)


def _clothing_front(canvas: _Canvas, style: PortraitStyle) -> None:
    pen = canvas.pen
    body = _shoulders()
    cloth, ink = style.clothing, _ink(style.clothing)
    pen.polygon(body, fill=cloth, outline=ink, width=OUTLINE)
    torso = canvas.mask(lambda p: p.polygon(body, fill=255))
    side_shadow = canvas.mask(lambda p: [p.ellipse(x, 0.98, 0.12, 0.2, fill=255) for x in (0.04, 0.96)], blur=0.04)
    canvas.glaze(_shade(cloth, 0.35), side_shadow, clip=torso, opacity=0.8)
    {
        "flight_coat": _flight_coat,
        "tweed": _tweed,
        "raincoat": _raincoat,
    }[style.clothing_style](canvas, style, torso)


def _flight_coat(canvas: _Canvas, style: PortraitStyle, torso: Image.Image) -> None:
    pen, cloth, gold = canvas.pen, style.clothing, style.accent
    shirt = [(0.44, 0.755), (0.56, 0.755), (0.5, 0.9)]
    pen.polygon(shirt, fill=(246, 238, 222), outline=_ink((246, 238, 222)), width=OUTLINE)
    scarf = _path(((0.44, 0.75), (0.47, 0.79), (0.53, 0.79), (0.56, 0.75)))
    pen.polygon([*scarf, (0.53, 0.76), (0.47, 0.76)], fill=(178, 44, 46), outline=_ink((178, 44, 46)), width=OUTLINE)
    pen.polygon(
        [(0.49, 0.785), (0.51, 0.785), (0.53, 0.87), (0.5, 0.85), (0.47, 0.87)],
        fill=(160, 36, 40),
        outline=_ink((178, 44, 46)),
        width=OUTLINE,
    )
    for side in (-1, 1):
        lapel = [
            (0.5 + side * 0.06, 0.75),
            (0.5 + side * 0.2, 0.78),
            (0.5 + side * 0.14, 0.86),
            (0.5 + side * 0.17, 0.88),
            (0.5 + side * 0.03, 1.02),
        ]
        pen.polygon(lapel, fill=_shade(cloth, -0.12), outline=_ink(cloth), width=OUTLINE)
        pen.line(
            [(0.5 + side * 0.2, 0.78), (0.5 + side * 0.14, 0.86), (0.5 + side * 0.17, 0.88), (0.5 + side * 0.03, 1.02)],
            gold,
            0.004,
        )
        for y in (0.9, 0.97):
            pen.circle(0.5 + side * 0.11, y, 0.011, fill=gold, outline=_ink(gold), width=0.002)
        epaulette = [(0.5 + side * x, y) for x, y in ((0.2, 0.782), (0.34, 0.796), (0.345, 0.814), (0.21, 0.8))]
        pen.polygon(epaulette, fill=gold, outline=_ink(gold), width=0.0025)


def _tweed(canvas: _Canvas, style: PortraitStyle, torso: Image.Image) -> None:
    pen, cloth = canvas.pen, style.clothing
    rng = random.Random(9)
    flecks = canvas.mask(
        lambda p: [
            p.line([(x, y), (x + 0.008, y + 0.008)], 255, 0.0018)
            for x, y in ((rng.uniform(0, 1), rng.uniform(0.74, 1)) for _ in range(500))
        ]
    )
    canvas.glaze(_shade(cloth, 0.3), flecks, clip=torso, opacity=0.7)
    shirt = [(0.43, 0.75), (0.57, 0.75), (0.5, 0.95)]
    pen.polygon(shirt, fill=(244, 242, 236), outline=_ink((244, 242, 236)), width=OUTLINE)
    for side in (-1, 1):
        collar = [(0.5, 0.775), (0.5 + side * 0.065, 0.745), (0.5 + side * 0.05, 0.81)]
        pen.polygon(collar, fill=(250, 250, 246), outline=_ink((244, 242, 236)), width=OUTLINE)
        lapel = [
            (0.5 + side * 0.07, 0.75),
            (0.5 + side * 0.19, 0.79),
            (0.5 + side * 0.13, 0.85),
            (0.5 + side * 0.16, 0.87),
            (0.5 + side * 0.04, 1.02),
        ]
        pen.polygon(lapel, fill=_shade(cloth, 0.14), outline=_ink(cloth), width=OUTLINE)
    tie = style.accent
    for side in (-1, 1):
        pen.polygon(
            [(0.5, 0.79), (0.5 + side * 0.05, 0.765), (0.5 + side * 0.05, 0.815)], fill=tie, outline=_ink(tie), width=OUTLINE
        )
    pen.rounded(0.488, 0.777, 0.512, 0.803, 0.006, fill=_shade(tie, 0.15), outline=_ink(tie), width=OUTLINE)


def _raincoat(canvas: _Canvas, style: PortraitStyle, torso: Image.Image) -> None:
    pen, coat = canvas.pen, style.clothing
    pen.polygon([(0.45, 0.75), (0.55, 0.75), (0.5, 0.86)], fill=(40, 58, 80), outline=_ink((40, 58, 80)), width=OUTLINE)
    for side in (-1, 1):
        flap = [(0.5 + side * 0.055, 0.735), (0.5 + side * 0.2, 0.77), (0.5 + side * 0.16, 0.87), (0.5 + side * 0.01, 0.87)]
        pen.polygon(flap, fill=_shade(coat, -0.08), outline=_ink(coat), width=OUTLINE)
        pen.line([(0.5 + side * 0.025, 0.88), (0.5 + side * 0.025, 1.02)], _shade(coat, 0.3), 0.003)
    for y in (0.91, 0.98):
        pen.rounded(0.465, y - 0.008, 0.535, y + 0.008, 0.008, fill=(70, 50, 40), outline=_ink((70, 50, 40)), width=0.002)
    sheen = canvas.mask(lambda p: [p.ellipse(x, 0.84, 0.05, 0.02, fill=255) for x in (0.23, 0.77)], blur=0.012)
    canvas.glaze((255, 250, 220), sheen, clip=torso, opacity=0.6)


def _eyes(canvas: _Canvas, style: PortraitStyle, shadow: Color) -> None:
    for side in (-1, 1):
        _eye(canvas, style, shadow, side)


def _eye(canvas: _Canvas, style: PortraitStyle, shadow: Color, side: int) -> None:
    """Almond white, iris, pupil and highlights (clipped to the white), a lid line and lashes."""
    cx, cy = 0.5 + side * EYE_DX, EYE_Y
    upper = [(cx - EYE_RX + 2 * EYE_RX * i / 20, cy - 0.031 * math.sin(math.pi * i / 20) ** 0.8) for i in range(21)]
    lower = [(cx + EYE_RX - 2 * EYE_RX * i / 20, cy + 0.021 * math.sin(math.pi * i / 20)) for i in range(21)]
    almond = upper + lower
    socket = [(x, y - 0.004) for x, y in upper] + [(cx + EYE_RX, cy - 0.02), (cx - EYE_RX, cy - 0.02)]
    canvas.glaze(shadow, canvas.mask(lambda pen: pen.polygon(socket, fill=255), blur=0.008), opacity=0.5)
    canvas.pen.polygon(almond, fill=(252, 252, 250))
    white = canvas.mask(lambda pen: pen.polygon(almond, fill=255))

    def iris(pen: _Pen) -> None:
        pen.circle(cx, cy, 0.024, fill=_shade(style.eye, 0.35))
        pen.circle(cx, cy, 0.0205, fill=style.eye)
        pen.circle(cx, cy + 0.006, 0.013, fill=_shade(style.eye, -0.2))
        pen.circle(cx, cy, 0.0105, fill=(22, 18, 20))
        pen.circle(cx + 0.008, cy - 0.009, 0.0055, fill=(255, 255, 255))
        pen.circle(cx - 0.007, cy + 0.008, 0.0025, fill=(255, 255, 255))

    canvas.clipped(white, iris)
    lid_shadow = canvas.mask(lambda pen: pen.polygon([(x, y + 0.008) for x, y in upper] + upper[::-1], fill=255), blur=0.004)
    canvas.glaze(_shade(shadow, 0.2), lid_shadow, clip=white, opacity=0.35)
    ink = (40, 26, 26)
    canvas.pen.line(upper, ink, 0.006)
    canvas.pen.line(lower[3:-3], _mix(ink, style.skin, 0.55), 0.0022)
    if style.lashes:
        corner_x, corner_y = cx + side * EYE_RX, cy
        flick = [
            (corner_x - side * 0.012, corner_y - 0.012),
            (corner_x + side * 0.012, corner_y - 0.016),
            (corner_x, corner_y - 0.002),
        ]
        canvas.pen.polygon(flick, fill=ink)
        for i in (14, 17):
            x, y = upper[i if side > 0 else 20 - i]
            lash = _bezier((x, y), (x + side * 0.002, y - 0.006), (x + side * 0.007, y - 0.009), (x + side * 0.013, y - 0.008), 6)
            canvas.pen.line(lash, ink, 0.0028)


def _brows(canvas: _Canvas, style: PortraitStyle) -> None:
    color = _shade(style.hair, 0.15) if style.hair_style != "receding" else _shade(style.hair, 0.05)
    thick = 0.014 if style.age_lines else 0.011
    for side in (-1, 1):
        cx = 0.5 + side * EYE_DX
        inner, outer = cx - side * 0.038, cx + side * 0.042
        arc = _bezier(
            (inner, BROW_Y + 0.006),
            (inner + side * 0.02, BROW_Y - 0.014),
            (outer - side * 0.025, BROW_Y - 0.016),
            (outer, BROW_Y + 0.002),
            16,
        )
        below = [(x, y + thick * (0.5 + 0.5 * math.sin(math.pi * i / 16))) for i, (x, y) in enumerate(arc)]
        shape = arc + below[::-1]
        canvas.pen.polygon(shape, fill=color, outline=_ink(color), width=0.002)
        if style.age_lines:  # bushy: a few stray hairs
            for i in (3, 7, 11, 14):
                x, y = arc[i]
                canvas.pen.line([(x, y + 0.004), (x + side * 0.01, y - 0.008)], color, 0.003)


def _nose(canvas: _Canvas, style: PortraitStyle, shadow: Color) -> None:
    cx = 0.5
    bridge = canvas.mask(lambda pen: pen.ellipse(cx + 0.012, NOSE_Y - 0.03, 0.01, 0.035, fill=255), blur=0.008)
    canvas.glaze(shadow, bridge, opacity=0.35)
    tip = canvas.mask(lambda pen: pen.ellipse(cx, NOSE_Y + 0.005, 0.024, 0.016, fill=255), blur=0.008)
    canvas.glaze(shadow, tip, opacity=0.55)
    glint = canvas.mask(lambda pen: pen.circle(cx - 0.005, NOSE_Y - 0.004, 0.006, fill=255), blur=0.004)
    canvas.glaze(_shade(style.skin, -0.4), glint, opacity=0.6)
    ink = _mix(_ink(style.skin), style.skin, 0.2)
    for side in (-1, 1):
        canvas.pen.line(
            _bezier(
                (cx + side * 0.02, NOSE_Y - 0.002),
                (cx + side * 0.026, NOSE_Y + 0.012),
                (cx + side * 0.012, NOSE_Y + 0.016),
                (cx + side * 0.005, NOSE_Y + 0.013),
                10,
            ),
            ink,
            0.0032,
        )


def _mouth(canvas: _Canvas, style: PortraitStyle) -> None:
    """Closed lips with a cupid's bow; the parting line is where an animator opens the mouth."""
    lips = style.lips or _mix(style.skin, (200, 80, 90), 0.45)
    w, y = MOUTH_HALF_WIDTH, MOUTH_Y
    upper = _path(
        ((0.5 - w, y), (0.5 - w * 0.6, y - 0.008), (0.5 - w * 0.45, y - 0.017), (0.5 - w * 0.18, y - 0.016)),
        ((0.5 - w * 0.18, y - 0.016), (0.5 - w * 0.08, y - 0.016), (0.5 - w * 0.04, y - 0.011), (0.5, y - 0.011)),
    )
    upper += _mirror(upper[::-1])[1:]
    lower = _path(((0.5 + w, y), (0.5 + w * 0.6, y + 0.028), (0.5 - w * 0.6, y + 0.028), (0.5 - w, y)))
    parting = _path(((0.5 - w, y), (0.5 - w * 0.4, y + 0.004), (0.5 + w * 0.4, y + 0.004), (0.5 + w, y)))
    canvas.pen.polygon(parting + lower[1:-1], fill=_shade(lips, -0.06))
    canvas.pen.polygon(upper + parting[::-1], fill=_shade(lips, 0.18))
    shine = canvas.mask(lambda pen: pen.ellipse(0.5 + w * 0.2, y + 0.013, w * 0.35, 0.005, fill=255), blur=0.003)
    canvas.glaze(_shade(lips, -0.45), shine, opacity=0.7)
    ink = _mix(_ink(lips), (60, 20, 20), 0.3)
    canvas.pen.line(parting, ink, 0.004)
    canvas.pen.line(upper, _mix(ink, lips, 0.5), 0.0022)
    canvas.pen.line(lower, _mix(ink, lips, 0.5), 0.0022)
    for side in (-1, 1):
        x = 0.5 + side * (w + 0.004)
        canvas.pen.line([(x - side * 0.006, y + 0.001), (x, y - 0.003)], ink, 0.003)


# --- hair -------------------------------------------------------------------------------------


def _hair_back(canvas: _Canvas, style: PortraitStyle) -> None:
    pen, hair, ink = canvas.pen, style.hair, _ink(style.hair)
    if style.hair_style == "wavy_bob":
        side = _path(
            ((0.5, 0.2), (0.33, 0.2), (0.28, 0.3), (0.285, 0.45)),
            ((0.285, 0.45), (0.29, 0.55), (0.25, 0.62), (0.3, 0.7)),
            ((0.3, 0.7), (0.33, 0.74), (0.37, 0.7), (0.38, 0.68)),
            ((0.38, 0.68), (0.41, 0.71), (0.44, 0.66), (0.45, 0.6)),
        )
        pen.polygon(side + _mirror(side[::-1]), fill=_shade(hair, 0.12), outline=ink, width=OUTLINE)
    elif style.hair_style == "curly":
        for x, y, r in _curl_cloud(back=True):
            pen.circle(x, y, r + 0.004, fill=ink)
        for x, y, r in _curl_cloud(back=True):
            pen.circle(x, y, r, fill=hair)


def _curl_cloud(back: bool) -> list[tuple[float, float, float]]:
    """Circles that make a rounded mass of curls around the head; deterministic."""
    rng = random.Random(21 if back else 22)
    curls = []
    count = 46 if back else 24
    for i in range(count):
        if back:
            t = math.pi * (0.88 + 1.24 * i / (count - 1))  # from the left jaw over the top to the right jaw
            ring = 0.2 + rng.uniform(-0.012, 0.012)
            x = 0.5 + ring * 1.08 * math.cos(t)
            y = 0.41 + ring * 1.0 * math.sin(t)
            curls.append((x, y, rng.uniform(0.04, 0.055)))
        else:
            t = math.pi * (1.12 + 0.76 * i / (count - 1))
            x = 0.5 + 0.15 * math.cos(t)
            y = 0.41 + 0.155 * math.sin(t) + rng.uniform(-0.006, 0.006)
            curls.append((x, y, rng.uniform(0.026, 0.034)))
    return curls


def _hair_front(canvas: _Canvas, style: PortraitStyle, face: Image.Image) -> None:
    {
        "wavy_bob": _bangs,
        "receding": _tufts,
        "curly": _curls_front,
    }.get(style.hair_style, lambda canvas, style, face: None)(canvas, style, face)


def _bangs(canvas: _Canvas, style: PortraitStyle, face: Image.Image) -> None:
    """A side-swept fringe from a left parting, falling past the temples."""
    pen, hair, ink = canvas.pen, style.hair, _ink(style.hair)
    cap = _path(
        ((0.31, 0.47), (0.29, 0.3), (0.36, 0.205), (0.5, 0.205)),
        ((0.5, 0.205), (0.64, 0.205), (0.71, 0.3), (0.69, 0.47)),
        ((0.69, 0.47), (0.675, 0.42), (0.665, 0.38), (0.64, 0.35)),
        ((0.64, 0.35), (0.58, 0.36), (0.5, 0.34), (0.44, 0.3)),
        ((0.44, 0.3), (0.43, 0.34), (0.38, 0.36), (0.36, 0.37)),
        ((0.36, 0.37), (0.345, 0.4), (0.335, 0.44), (0.31, 0.47)),
    )
    hair_shadow = canvas.mask(lambda p: p.polygon([(x, y + 0.012) for x, y in cap], fill=255), blur=0.01)
    canvas.glaze(_shade(style.skin, 0.3), hair_shadow, clip=face, opacity=0.6)
    pen.polygon(cap, fill=hair, outline=ink, width=OUTLINE)
    strands = _shade(hair, 0.25)
    for curve in (
        ((0.44, 0.3), (0.5, 0.26), (0.56, 0.25), (0.62, 0.26)),
        ((0.47, 0.32), (0.54, 0.31), (0.6, 0.3), (0.66, 0.33)),
        ((0.44, 0.3), (0.4, 0.27), (0.36, 0.3), (0.335, 0.36)),
        ((0.42, 0.245), (0.38, 0.26), (0.33, 0.3), (0.315, 0.38)),
    ):
        pen.line(_bezier(*curve, 16), strands, 0.003)
    gloss = canvas.mask(
        lambda p: p.polygon(
            _bezier((0.38, 0.25), (0.45, 0.215), (0.56, 0.215), (0.62, 0.24), 16)
            + _bezier((0.6, 0.255), (0.54, 0.235), (0.46, 0.235), (0.4, 0.265), 16),
            fill=255,
        ),
        blur=0.006,
    )
    canvas.glaze(_shade(hair, -0.4), gloss, opacity=0.8)


def _tufts(canvas: _Canvas, style: PortraitStyle, face: Image.Image) -> None:
    """Receding grey hair: a shiny crown and fluffy tufts above the ears."""
    pen, hair, ink = canvas.pen, style.hair, _ink(style.hair)
    shine = canvas.mask(lambda p: p.ellipse(0.46, 0.27, 0.06, 0.025, fill=255), blur=0.012)
    canvas.glaze(_shade(style.skin, -0.5), shine, clip=face, opacity=0.8)
    for side in (-1, 1):
        puffs = [
            (0.5 + side * dx, y, r)
            for dx, y, r in (
                (0.15, 0.35, 0.026),
                (0.168, 0.385, 0.03),
                (0.175, 0.425, 0.03),
                (0.168, 0.46, 0.026),
                (0.185, 0.36, 0.022),
                (0.195, 0.4, 0.024),
                (0.19, 0.44, 0.022),
                (0.158, 0.49, 0.02),
            )
        ]
        for x, y, r in puffs:
            pen.circle(x, y, r + OUTLINE, fill=ink)
        for x, y, r in puffs:
            pen.circle(x, y, r, fill=hair)
        for x, y, r in puffs[1:7:2]:
            pen.line(
                _bezier(
                    (x - side * r * 0.5, y + r * 0.2),
                    (x - side * r * 0.2, y - r * 0.5),
                    (x + side * r * 0.3, y - r * 0.5),
                    (x + side * r * 0.55, y - r * 0.1),
                    8,
                ),
                _shade(hair, 0.22),
                0.0025,
            )
    wisps = _shade(hair, 0.05)
    for dx in (-0.04, -0.01, 0.02):
        pen.line(
            _bezier((0.5 + dx, 0.238), (0.5 + dx + 0.01, 0.215), (0.5 + dx + 0.03, 0.21), (0.5 + dx + 0.04, 0.222), 10),
            wisps,
            0.0035,
        )


def _curls_front(canvas: _Canvas, style: PortraitStyle, face: Image.Image) -> None:
    pen, hair, ink = canvas.pen, style.hair, _ink(style.hair)
    curls = _curl_cloud(back=False)
    shadow = canvas.mask(lambda p: [p.circle(x, y + 0.012, r, fill=255) for x, y, r in curls], blur=0.01)
    canvas.glaze(_shade(style.skin, 0.35), shadow, clip=face, opacity=0.7)
    for x, y, r in curls:
        pen.circle(x, y, r + 0.004, fill=ink)
    for x, y, r in curls:
        pen.circle(x, y, r, fill=hair)
    highlight = _mix(hair, (120, 96, 110), 0.7)
    for x, y, r in _curl_cloud(back=True)[::3] + curls[::2]:
        pen.line(
            _bezier(
                (x - r * 0.45, y - r * 0.25),
                (x - r * 0.3, y - r * 0.6),
                (x + r * 0.1, y - r * 0.65),
                (x + r * 0.35, y - r * 0.45),
                8,
            ),
            highlight,
            0.0028,
        )


def _beard(canvas: _Canvas, style: PortraitStyle) -> None:
    """A full beard from the sideburns round the chin, leaving the lips clear."""
    pen, hair, ink = canvas.pen, _shade(style.hair, 0.04), _ink(style.hair)
    rx = 0.158 * style.face_width
    left = _path(((0.5 - rx + 0.004, 0.43), (0.5 - rx - 0.01, 0.56), (0.42, 0.7), (0.5, 0.71)))
    inner = _path(((0.5 + rx - 0.02, 0.45), (0.6, 0.54), (0.56, 0.53), (0.5, 0.535)))
    outline = left + _mirror(left[::-1])[1:] + inner + _mirror(inner[::-1])[1:]
    pen.polygon(outline, fill=hair, outline=ink, width=OUTLINE)
    rng = random.Random(13)
    texture = _shade(hair, 0.18)
    for _ in range(70):
        x, y = rng.uniform(0.38, 0.62), rng.uniform(0.57, 0.69)
        if abs(x - 0.5) < 0.16 - (y - 0.57) * 0.7:
            pen.line([(x, y), (x + rng.uniform(-0.006, 0.006), y + 0.012)], texture, 0.002)


def _moustache(canvas: _Canvas, style: PortraitStyle) -> None:
    pen, hair, ink = canvas.pen, style.hair, _ink(style.hair)
    y = MOUTH_Y - 0.016
    half = _path(
        ((0.5, y - 0.02), (0.47, y - 0.03), (0.43, y - 0.022), (0.415, y - 0.005)),
        ((0.415, y - 0.005), (0.405, y + 0.01), (0.44, y + 0.006), (0.5, y - 0.002)),
    )
    pen.polygon(half + _mirror(half[::-1]), fill=hair, outline=ink, width=OUTLINE)
    for dx in (-0.06, -0.04, -0.02, 0.02, 0.04, 0.06):
        pen.line([(0.5 + dx, y - 0.012), (0.5 + dx * 1.15, y + 0.002)], _shade(hair, 0.2), 0.0022)


# --- accessories ------------------------------------------------------------------------------


def _accessory(canvas: _Canvas, style: PortraitStyle) -> None:
    {
        "goggles": _goggles,
        "glasses": _glasses,
        "earrings": _earrings,
    }.get(style.accessory, lambda canvas, style: None)(canvas, style)


def _goggles(canvas: _Canvas, style: PortraitStyle) -> None:
    """Brass flying goggles pushed up on the forehead, strap round the hair."""
    pen, brass = canvas.pen, style.accent
    leather = (92, 58, 38)
    strap = _bezier((0.29, 0.36), (0.36, 0.27), (0.64, 0.27), (0.71, 0.36), 30)
    pen.line(strap, _ink(leather), 0.034)
    pen.line(strap, leather, 0.026)
    pen.line([(x, y - 0.007) for x, y in strap], _shade(leather, -0.2), 0.004)
    pen.rounded(0.475, 0.285, 0.525, 0.305, 0.008, fill=brass, outline=_ink(brass), width=OUTLINE)
    for side in (-1, 1):
        cx, cy = 0.5 + side * 0.064, 0.293
        pen.circle(cx, cy, 0.052, fill=_shade(brass, 0.1), outline=_ink(brass), width=OUTLINE)
        pen.circle(cx, cy, 0.044, fill=_shade(brass, -0.25))
        pen.circle(cx, cy, 0.037, fill=(58, 120, 140), outline=_ink(brass), width=0.003)
        glass = canvas.mask(lambda p, cx=cx, cy=cy: p.circle(cx, cy, 0.037, fill=255))
        canvas.clipped(
            glass,
            lambda p, cx=cx, cy=cy: [
                p.circle(cx + 0.012, cy + 0.014, 0.035, fill=(96, 176, 190, 255)),
                p.ellipse(cx - 0.014, cy - 0.013, 0.014, 0.008, fill=(235, 250, 250, 230)),
            ],
        )
        for angle in range(0, 360, 60):
            a = math.radians(angle + 30)
            pen.circle(cx + 0.048 * math.cos(a), cy + 0.048 * math.sin(a), 0.0035, fill=_shade(brass, 0.4))


def _glasses(canvas: _Canvas, style: PortraitStyle) -> None:
    """Round wire spectacles with a faint lens glint, sized to frame the eyes without hiding them."""
    pen, wire = canvas.pen, (70, 56, 40)
    r = 0.05
    for side in (-1, 1):
        cx = 0.5 + side * EYE_DX
        glint = canvas.mask(
            lambda p, cx=cx: p.polygon(
                [
                    (cx - 0.03, EYE_Y - 0.005),
                    (cx - 0.015, EYE_Y - 0.035),
                    (cx - 0.005, EYE_Y - 0.035),
                    (cx - 0.02, EYE_Y - 0.005),
                ],
                fill=255,
            ),
            blur=0.003,
        )
        canvas.glaze((255, 255, 255), glint, opacity=0.35)
        pen.circle(cx, EYE_Y, r, outline=wire, width=0.0055)
        pen.circle(cx, EYE_Y, r - 0.004, outline=(196, 160, 96), width=0.002)
        temple_x = 0.5 + side * (0.158 * style.face_width + 0.004)
        pen.line([(cx + side * r, EYE_Y - 0.006), (temple_x, EYE_Y - 0.012)], wire, 0.005)
    pen.line(
        _bezier(
            (0.5 - EYE_DX + r, EYE_Y - 0.006), (0.49, EYE_Y - 0.02), (0.51, EYE_Y - 0.02), (0.5 + EYE_DX - r, EYE_Y - 0.006), 10
        ),
        wire,
        0.005,
    )


def _earrings(canvas: _Canvas, style: PortraitStyle) -> None:
    gold = style.accent
    rx = 0.158 * style.face_width
    for side in (-1, 1):
        x = 0.5 + side * (rx + 0.004)
        canvas.pen.circle(x, 0.53, 0.02, outline=_ink(gold), width=0.008)
        canvas.pen.circle(x, 0.53, 0.02, outline=gold, width=0.005)
        canvas.pen.circle(x - 0.006, 0.516, 0.003, fill=_shade(gold, -0.6))


# --- robot ------------------------------------------------------------------------------------


def _robot(canvas: _Canvas, style: PortraitStyle) -> None:
    """A friendly robot with its eyes and mouth where the human faces have theirs."""
    pen, metal = canvas.pen, style.skin
    dark, ink = _shade(metal, 0.35), _ink(metal)
    # body and neck
    body = _shoulders()
    pen.polygon(body, fill=_shade(metal, 0.08), outline=ink, width=OUTLINE)
    torso = canvas.mask(lambda p: p.polygon(body, fill=255))
    side_shadow = canvas.mask(lambda p: [p.ellipse(x, 0.98, 0.12, 0.2, fill=255) for x in (0.04, 0.96)], blur=0.04)
    canvas.glaze(_shade(metal, 0.4), side_shadow, clip=torso, opacity=0.8)
    pen.rounded(0.36, 0.82, 0.64, 1.05, 0.03, fill=style.clothing, outline=_ink(style.clothing), width=OUTLINE)
    pen.circle(0.5, 0.9, 0.032, fill=_shade(style.clothing, 0.3), outline=_ink(style.clothing), width=OUTLINE)
    heart = canvas.mask(lambda p: p.circle(0.5, 0.9, 0.04, fill=255), blur=0.01)
    canvas.glaze((255, 230, 160), heart, opacity=0.6)
    pen.circle(0.5, 0.9, 0.018, fill=(255, 244, 200))
    for x in (0.39, 0.61):
        pen.circle(x, 0.85, 0.008, fill=_shade(style.clothing, -0.4))
    for i, y in enumerate((0.64, 0.68, 0.72, 0.76)):
        pen.rounded(
            0.44 - i * 0.004, y, 0.56 + i * 0.004, y + 0.032, 0.012, fill=dark if i % 2 else metal, outline=ink, width=OUTLINE
        )
    # ears and antenna
    for side in (-1, 1):
        x = 0.5 + side * 0.185
        pen.rounded(x - 0.025, 0.39, x + 0.025, 0.52, 0.015, fill=dark, outline=ink, width=OUTLINE)
        pen.circle(x + side * 0.012, 0.455, 0.02, fill=style.clothing, outline=_ink(style.clothing), width=OUTLINE)
        pen.circle(x + side * 0.012, 0.455, 0.007, fill=_shade(style.clothing, -0.4))
    pen.line([(0.5, 0.25), (0.5, 0.14)], ink, 0.012)
    pen.line([(0.5, 0.25), (0.5, 0.14)], _shade(metal, -0.2), 0.006)
    glow = canvas.mask(lambda p: p.circle(0.5, 0.13, 0.045, fill=255), blur=0.02)
    canvas.glaze((255, 120, 100), glow, opacity=0.6)
    pen.circle(0.5, 0.13, 0.024, fill=(238, 70, 70), outline=_ink((238, 70, 70)), width=OUTLINE)
    pen.circle(0.493, 0.122, 0.007, fill=(255, 200, 190))
    pen.rounded(0.46, 0.235, 0.54, 0.26, 0.008, fill=dark, outline=ink, width=OUTLINE)
    # head with a brushed-metal sheen
    head = (0.33, 0.25, 0.67, 0.63)
    pen.rounded(*head, 0.07, fill=metal, outline=ink, width=OUTLINE * 1.4)
    plate = canvas.mask(lambda p: p.rounded(*head, 0.07, fill=255))
    edge = canvas.mask(
        lambda p: p.rounded(head[0] + 0.025, head[1] + 0.025, head[2] - 0.025, head[3] - 0.02, 0.05, fill=255), blur=0.015
    )
    canvas.glaze(_shade(metal, 0.3), ImageChops.subtract(plate, edge), opacity=0.8)
    sheen = canvas.mask(lambda p: p.rounded(0.37, 0.27, 0.5, 0.29, 0.01, fill=255), blur=0.008)
    canvas.glaze((255, 255, 255), sheen, opacity=0.7)
    for x, y in ((0.355, 0.275), (0.645, 0.275), (0.355, 0.605), (0.645, 0.605)):
        pen.circle(x, y, 0.007, fill=_shade(metal, -0.3), outline=ink, width=0.002)
    _robot_face(canvas, style)


def _robot_face(canvas: _Canvas, style: PortraitStyle) -> None:
    pen, metal, led = canvas.pen, style.skin, style.eye
    ink = _ink(metal)
    for side in (-1, 1):
        cx = 0.5 + side * EYE_DX
        pen.rounded(cx - 0.035, BROW_Y - 0.014, cx + 0.035, BROW_Y + 0.002, 0.008, fill=style.hair, outline=ink, width=0.002)
        pen.circle(cx, EYE_Y, 0.046, fill=_shade(metal, 0.25), outline=ink, width=OUTLINE)
        pen.circle(cx, EYE_Y, 0.038, fill=(236, 244, 250), outline=_shade(metal, 0.45), width=0.003)
        glow = canvas.mask(lambda p, cx=cx: p.circle(cx, EYE_Y, 0.034, fill=255), blur=0.012)
        canvas.glaze(led, glow, opacity=0.7)
        pen.circle(cx, EYE_Y, 0.025, fill=_shade(led, 0.15))
        pen.circle(cx, EYE_Y, 0.019, fill=led)
        pen.circle(cx, EYE_Y, 0.0105, fill=(16, 40, 60))
        pen.circle(cx + 0.009, EYE_Y - 0.009, 0.0055, fill=(255, 255, 255))
        pen.circle(cx - 0.007, EYE_Y + 0.008, 0.0025, fill=(255, 255, 255))
    pen.circle(0.5, NOSE_Y, 0.011, fill=_shade(metal, 0.2), outline=ink, width=0.0025)
    pen.circle(0.497, NOSE_Y - 0.003, 0.004, fill=(255, 255, 255))
    # grille mouth: a lit slot with bars, its rim standing in for lips
    w, y = MOUTH_HALF_WIDTH + 0.012, MOUTH_Y
    pen.rounded(0.5 - w, y - 0.022, 0.5 + w, y + 0.022, 0.02, fill=style.lips, outline=ink, width=OUTLINE * 1.4)
    glow = canvas.mask(lambda p: p.rounded(0.5 - w + 0.008, y - 0.014, 0.5 + w - 0.008, y + 0.014, 0.012, fill=255), blur=0.006)
    canvas.glaze(led, glow, opacity=0.55)
    pen.line([(0.5 - w + 0.012, y), (0.5 + w - 0.012, y)], (220, 250, 255), 0.004)
    for i in range(1, 6):
        x = 0.5 - w + 2 * w * i / 6
        pen.line([(x, y - 0.019), (x, y + 0.019)], style.lips, 0.005)
    for side in (-1, 1):
        pen.circle(0.5 + side * 0.1, 0.53, 0.018, fill=_mix(metal, (255, 120, 130), 0.45))
