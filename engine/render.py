"""Render: warp a portrait through its face rig, one frame per motion vector.

The rig's points, a ring around the head and a still ring further out form a triangle mesh.
Motion moves the points (`deform`); each frame maps every output pixel back into the portrait
through the affine map of the deformed triangle it falls in (piecewise-affine warp, one remap),
so nothing outside the still ring ever moves. The open mouth's interior (teeth, tongue, throat)
is painted in, since the portrait has none to warp. The same rig, motion vector and deform
rules are what a browser renderer implements for live streams.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from engine.motion import FIELD
from engine.rig import GROUPS, Rig

DEFAULT_SIZE = 512
HEAD_RING_SCALE = 1.3  # the ring that carries hair and ears with the head, in face radii
STILL_RING_SCALE = 2.0  # beyond this the picture never moves
HEAD_RING_FOLLOW = 0.6  # how much of the head's motion the hair ring follows
NECK_STRETCH = 0.6  # how much of the chin's drop the ring under it follows
BADGE_TEXT = "AI-generated"

# The mouth interior's colours for a typical colour portrait; each portrait gets them matched to its own
# lips and skin, with their saturation scaled to the portrait's (see _mouth_palette).
THROAT_COLOUR = np.array([58, 18, 24], np.float32)
TEETH_COLOUR = np.array([236, 232, 222], np.float32)
TONGUE_COLOUR = np.array([176, 78, 82], np.float32)
TYPICAL_LIP_CHROMA = 0.35  # (max - min) / max of a colour photo's lips; a portrait's own lips scale the palette's
TEETH_MIN_OPENING = 0.1  # of the mouth width: narrower openings show throat only, never a sliver of teeth
_EMPTY = 255  # id-map value for pixels no triangle covers


@dataclass(frozen=True)
class _Axes:
    """Face-relative directions and sizes, so tilted faces move along their own axes."""

    down: np.ndarray
    right: np.ndarray
    eye_width: float
    mouth_width: float
    face_width: float
    face_height: float


def fit_image(image: np.ndarray, size: int = DEFAULT_SIZE) -> np.ndarray:
    """The portrait resized so its long side is size, both sides even (H.264 needs that), aspect kept."""
    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(image), (new_w, new_h), interpolation=interpolation)


def still_frame(image: np.ndarray, *, size: int = DEFAULT_SIZE, badge: bool = True) -> np.ndarray:
    """The fallback clip's picture: the fitted portrait, labelled like every rendered frame."""
    frame = fit_image(image, size)
    if badge:
        _overlay(frame, *_badge(frame.shape[1], frame.shape[0]))
    return frame


def face_axes(rig: Rig) -> _Axes:
    eyes = (rig.group("eye_l").mean(axis=0), rig.group("eye_r").mean(axis=0))
    right = eyes[1] - eyes[0]
    right = right / max(float(np.linalg.norm(right)), 1e-6)
    down = np.array([-right[1], right[0]], np.float32)
    lips = rig.group("lips_outer")
    x0, y0, x1, y1 = rig.face_box()
    return _Axes(down, right.astype(np.float32), rig.eye_width(), float(np.linalg.norm(lips[6] - lips[0])), x1 - x0, y1 - y0)


def deform(rig: Rig, motion: np.ndarray) -> np.ndarray:
    """Where the rig's 70 points go for one motion vector (pixels of the rig's portrait)."""
    axes = face_axes(rig)
    points = rig.points.astype(np.float32).copy()
    _close_mouth(points, axes)
    _move_mouth(points, axes, motion)
    _move_lids_and_gaze(points, axes, motion)
    _move_brows(points, axes, motion)
    return _move_head(points, rig, axes, motion, follow=1.0)


class Renderer:
    """Frames of one portrait and rig; set up once per clip, then about a few ms a frame."""

    def __init__(self, image: np.ndarray, rig: Rig, *, size: int = DEFAULT_SIZE, badge: bool = True) -> None:
        self.image = fit_image(image, size)
        height, width = self.image.shape[:2]
        self.rig = rig.scaled(width, height)
        self.axes = face_axes(self.rig)
        centre = self.rig.group("outline").mean(axis=0)
        self._head_ring = _ring(self.rig.group("outline"), centre, HEAD_RING_SCALE, width, height)
        self._still_ring = _still_ring(self.rig, centre, width, height)
        rest = np.concatenate([self.rig.points, self._head_ring, self._still_ring]).astype(np.float32)
        self._rest = rest
        self._triangles = _triangulate(rest, self.axes)
        x0, y0 = np.floor(self._still_ring.min(axis=0)).astype(int)
        x1, y1 = np.ceil(self._still_ring.max(axis=0)).astype(int)
        self._roi = (max(0, x0), max(0, y0), min(width, x1 + 1), min(height, y1 + 1))
        rx0, ry0, rx1, ry1 = self._roi
        self._grid_x, self._grid_y = np.meshgrid(np.arange(rx0, rx1, dtype=np.float32), np.arange(ry0, ry1, dtype=np.float32))
        self._badge = _badge(width, height) if badge else None
        face = _face_pixels(self.image, self.rig)
        skin_tone = None if face is None else np.median(face, axis=0).astype(np.float32)
        self._lid_colours = [_lid_colour(self.image, self.rig, eye, skin_tone) for eye in ("eye_l", "eye_r")]
        self._palette = _mouth_palette(self.image, self.rig, face)

    @property
    def size(self) -> tuple[int, int]:
        """width, height of the frames."""
        return self.image.shape[1], self.image.shape[0]

    def frames(self, motions: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for motion in motions:
            yield self.frame(motion)

    def frame(self, motion: np.ndarray) -> np.ndarray:
        """One RGB uint8 frame for a motion vector."""
        moved = self.mesh(motion)
        face = moved[: len(self.rig.points)]
        frame = self.image.copy()
        rx0, ry0, rx1, ry1 = self._roi
        frame[ry0:ry1, rx0:rx1] = self._warp(moved)
        _paint_mouth(frame, face, self.axes, float(motion[FIELD["jaw_open"]]), self._palette)
        self._paint_lids(frame, face, motion)
        if self._badge is not None:
            _overlay(frame, *self._badge)
        return frame

    def mesh(self, motion: np.ndarray) -> np.ndarray:
        """All mesh points for a motion vector: the face, the hair ring following the head, the still ring."""
        face = deform(self.rig, motion)
        head_ring = self._head_ring.copy()
        # The neck under the chin stretches with an opening jaw instead of letting the chin run over it.
        head_ring[_CHIN] += np.outer(_CHIN_WEIGHTS, self.axes.down) * _jaw_drop(self.axes, motion) * NECK_STRETCH
        head_ring = _move_head(head_ring, self.rig, self.axes, motion, follow=HEAD_RING_FOLLOW)
        return np.concatenate([face, head_ring, self._still_ring])

    def _paint_lids(self, frame: np.ndarray, face: np.ndarray, motion: np.ndarray) -> None:
        """Cover a closing eye with a lid of the skin above it, edged with a lash line."""
        closures = (float(motion[FIELD["blink_l"]]), float(motion[FIELD["blink_r"]]))
        if max(closures) < 0.08:
            return
        opened = motion.copy()
        opened[[FIELD["blink_l"], FIELD["blink_r"]]] = 0
        open_face = deform(self.rig, opened)
        for eye, closure, colour in zip(("eye_l", "eye_r"), closures, self._lid_colours, strict=True):
            if closure >= 0.08:
                _paint_lid(frame, open_face[GROUPS[eye]], face[GROUPS[eye]], colour, self.axes, min(1.0, closure * 1.6))

    def _warp(self, moved: np.ndarray) -> np.ndarray:
        """Piecewise-affine backward warp of the ROI: each pixel samples the portrait through its triangle."""
        rx0, ry0, rx1, ry1 = self._roi
        corners = moved[self._triangles]
        affine, visible = _backward_affines(corners, self._rest[self._triangles])
        ids = np.full((ry1 - ry0, rx1 - rx0), _EMPTY, np.uint8)
        fixed = np.round((corners - [rx0, ry0]) * 16).astype(np.int32)  # 4 fractional bits
        for index in np.flatnonzero(visible):
            cv2.fillConvexPoly(ids, fixed[index], (int(index),), lineType=cv2.LINE_8, shift=4)
        # Each coefficient of the pixel's triangle, looked up by triangle id (uint8 → float32 tables).
        a, b, c, d, e, f = (cv2.LUT(ids, affine[:, k]) for k in range(6))
        map_x = a * self._grid_x + b * self._grid_y + c
        map_y = d * self._grid_x + e * self._grid_y + f
        return cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


# --- mesh ------------------------------------------------------------------------------------------


def _ring(outline: np.ndarray, centre: np.ndarray, scale: float, width: int, height: int) -> np.ndarray:
    ring = centre + (outline - centre) * scale
    return np.clip(ring, 0, [width - 1, height - 1]).astype(np.float32)


def _still_ring(rig: Rig, centre: np.ndarray, width: int, height: int) -> np.ndarray:
    """A rectangle of fixed points around the face (on the image edge where it reaches it)."""
    x0, y0, x1, y1 = rig.face_box()
    half = np.array([(x1 - x0), (y1 - y0)], np.float32) * STILL_RING_SCALE / 2
    low = np.maximum(centre - half, 0)
    high = np.minimum(centre + half, [width - 1, height - 1])
    steps = np.linspace(0, 1, 6, endpoint=False)
    top = np.stack([low[0] + (high[0] - low[0]) * steps, np.full_like(steps, low[1])], axis=1)
    right = np.stack([np.full_like(steps, high[0]), low[1] + (high[1] - low[1]) * steps], axis=1)
    bottom = np.stack([high[0] - (high[0] - low[0]) * steps, np.full_like(steps, high[1])], axis=1)
    left = np.stack([np.full_like(steps, low[0]), high[1] - (high[1] - low[1]) * steps], axis=1)
    return np.concatenate([top, right, bottom, left]).astype(np.float32)


def _triangulate(rest: np.ndarray, axes: _Axes) -> np.ndarray:
    """Triangles over the mesh, taken with the mouth held open so lips and mouth get their own triangles."""
    opened = rest.copy()
    gap = 0.12 * axes.mouth_width
    opened[_INNER_UPPER] -= axes.down * gap
    opened[_INNER_LOWER] += axes.down * gap
    triangles = Delaunay(opened.astype(np.float64), qhull_options="QJ").simplices.astype(np.int32)
    if len(triangles) >= _EMPTY:
        raise ValueError("the face mesh has too many triangles")
    return triangles


def _backward_affines(moved: np.ndarray, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle (corners T×3×2), the affine map output → portrait as 6 coefficients (a, b, c, d, e, f):
    x_src = a·x + b·y + c, y_src = d·x + e·y + f. Rows past the triangles are the identity, so pixels no
    triangle covers (id _EMPTY) stay put. Also returns which triangles have an area to draw."""
    d0, d1, d2 = moved[:, 0], moved[:, 1], moved[:, 2]
    u, v = d1 - d0, d2 - d0
    det = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    visible = np.abs(det) > 1e-3
    safe = np.where(visible, det, 1.0)
    inverse = np.stack([np.stack([v[:, 1], -v[:, 0]], 1), np.stack([-u[:, 1], u[:, 0]], 1)], 1) / safe[:, None, None]
    src_edges = np.stack([rest[:, 1] - rest[:, 0], rest[:, 2] - rest[:, 0]], axis=2)  # columns: source edge vectors
    linear = src_edges @ inverse  # 2×2 per triangle
    shift = rest[:, 0] - np.einsum("tij,tj->ti", linear, d0)
    table = np.zeros((_EMPTY + 1, 6), np.float32)
    table[:, 0] = table[:, 4] = 1.0
    table[: len(moved)] = np.concatenate([linear[:, 0], shift[:, :1], linear[:, 1], shift[:, 1:]], axis=1)
    table[: len(moved)][~visible] = [1, 0, 0, 0, 1, 0]
    return table, visible


# --- deformation rules -----------------------------------------------------------------------------


def _indices(group: str, members: Iterable[int]) -> np.ndarray:
    start = GROUPS[group].start
    return np.array([start + member for member in members])


_INNER_UPPER, _INNER_LOWER = _indices("lips_inner", (1, 2, 3)), _indices("lips_inner", (7, 6, 5))
_OUTER_UPPER, _OUTER_LOWER = _indices("lips_outer", (1, 2, 3, 4, 5)), _indices("lips_outer", (11, 10, 9, 8, 7))
_CORNERS = _indices("lips_outer", (0, 6)), _indices("lips_inner", (0, 4))
_LIPS_UPPER, _LIPS_LOWER = np.concatenate([_INNER_UPPER, _OUTER_UPPER]), np.concatenate([_INNER_LOWER, _OUTER_LOWER])
_CHIN = _indices("outline", (6, 7, 8, 9, 10, 11, 12))
_CHIN_WEIGHTS = np.array([0.25, 0.55, 0.85, 1.0, 0.85, 0.55, 0.25], np.float32)


def _close_mouth(points: np.ndarray, axes: _Axes) -> None:
    """Neutral pose is a closed mouth, even when the portrait smiles with its teeth showing."""
    gaps = (points[_INNER_LOWER] - points[_INNER_UPPER]) @ axes.down
    half = np.clip(gaps, 0, None)[:, None] / 2 * axes.down
    points[_INNER_UPPER] += half
    points[_INNER_LOWER] -= half
    mean_half = float(np.clip(gaps, 0, None).mean()) / 2
    points[_OUTER_UPPER] += axes.down * mean_half * 0.6
    points[_OUTER_LOWER] -= axes.down * mean_half * 0.8
    points[_CHIN] -= np.outer(_CHIN_WEIGHTS, axes.down) * mean_half


def _jaw_drop(axes: _Axes, motion: np.ndarray) -> float:
    """How far the lower lip drops, in pixels: half the mouth's width when wide open."""
    return 0.5 * axes.mouth_width * float(np.clip(motion[FIELD["jaw_open"]], 0, 1))


def _move_mouth(points: np.ndarray, axes: _Axes, motion: np.ndarray) -> None:
    """Jaw down, lips spread or pursed. Each lip point moves by a smooth function of its place across
    the mouth, so neighbouring points of the inner and outer lips move alike and the lips never fold."""
    width = float(np.clip(motion[FIELD["lip_width"]], -1, 1))
    rounding = float(np.clip(motion[FIELD["lip_round"]], 0, 1))
    opening = _jaw_drop(axes, motion)
    half_width = axes.mouth_width / 2
    centre = points[_CORNERS[0]].mean(axis=0)
    lips = np.concatenate([_LIPS_UPPER, _LIPS_LOWER, *_CORNERS])
    across = np.clip(((points[lips] - centre) @ axes.right) / half_width, -1, 1)
    points[lips] += np.outer(across * (0.1 * width - 0.16 * rounding) * half_width, axes.right)

    def weight(group: np.ndarray) -> np.ndarray:
        """1 in the middle of the mouth, 0.4 at the corners."""
        return 1 - 0.6 * np.clip(((points[group] - centre) @ axes.right) / half_width, -1, 1) ** 2

    points[_LIPS_LOWER] += np.outer(weight(_LIPS_LOWER), axes.down) * opening
    points[_LIPS_UPPER] -= np.outer(weight(_LIPS_UPPER), axes.down) * opening * 0.08
    for corners in _CORNERS:
        points[corners] += axes.down * opening * 0.3
    points[_CHIN] += np.outer(_CHIN_WEIGHTS, axes.down) * opening * 0.9
    pucker = 0.05 * rounding * axes.mouth_width
    points[_OUTER_UPPER] -= np.outer(weight(_OUTER_UPPER), axes.down) * pucker
    points[_OUTER_LOWER] += np.outer(weight(_OUTER_LOWER), axes.down) * pucker


def _move_lids_and_gaze(points: np.ndarray, axes: _Axes, motion: np.ndarray) -> None:
    """Upper lids slide onto the lower lids; the pupil keeps its place between the lids, shifted by the gaze.

    The pupil is placed by fractions across the eye (corner to corner) and down it (lid to lid),
    clamped to the middle of the eye, so it can never leave the eye and fold the mesh.
    """
    gaze = np.array([motion[FIELD["gaze_x"]], motion[FIELD["gaze_y"]]], np.float32).clip(-1, 1)
    for side, (eye, blink) in enumerate((("eye_l", motion[FIELD["blink_l"]]), ("eye_r", motion[FIELD["blink_r"]]))):
        ring = GROUPS[eye].start + np.arange(8)
        pupil = GROUPS["pupils"].start + side
        across, down = _eye_fractions(points[ring], points[pupil])
        upper, lower = ring[[1, 2, 3]], ring[[7, 6, 5]]
        closure = float(np.clip(blink, 0, 1))
        points[upper] += (points[lower] - points[upper]) * closure * 0.92
        # A closing lid leaves no room off-centre: the pupil slides to the middle as the eye shuts.
        across = float(np.clip(across + 0.15 * gaze[0], 0.3, 0.7)) * (1 - closure) + 0.5 * closure
        down = float(np.clip(down + 0.15 * gaze[1], 0.3, 0.7))
        left, right, top, bottom = points[ring[0]], points[ring[4]], points[ring[2]], points[ring[6]]
        middle = left + (right - left) * across
        points[pupil] = middle + (top - (left + right) / 2) + (bottom - top) * down


def _eye_fractions(ring: np.ndarray, pupil: np.ndarray) -> tuple[float, float]:
    """Where the pupil sits: share of the way from the left corner to the right, and from the lid down."""
    left, right, top, bottom = ring[0], ring[4], ring[2], ring[6]
    span = right - left
    across = float((pupil - left) @ span / max(float(span @ span), 1e-6))
    height = bottom - top
    down = float((pupil - (left + span * across) - (top - (left + right) / 2)) @ height / max(float(height @ height), 1e-6))
    return across, down


def _move_brows(points: np.ndarray, axes: _Axes, motion: np.ndarray) -> None:
    for brow, value in (("brow_l", motion[FIELD["brow_l"]]), ("brow_r", motion[FIELD["brow_r"]])):
        points[GROUPS[brow]] -= axes.down * float(np.clip(value, -1, 1)) * 0.2 * axes.eye_width


def _move_head(points: np.ndarray, rig: Rig, axes: _Axes, motion: np.ndarray, *, follow: float) -> np.ndarray:
    """Small head turns as a 2-D approximation: roll about the neck, yaw and pitch as parallax shifts."""
    outline = rig.group("outline")
    chin = outline[9]
    pivot = chin + axes.down * 0.35 * axes.face_height
    roll = math.radians(float(motion[FIELD["head_roll"]])) * follow
    rotation = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]], np.float32)
    moved = (points - pivot) @ rotation.T + pivot
    centre = outline.mean(axis=0)
    radius = max(axes.face_width, axes.face_height) / 2
    # Points nearer the face's centre are nearer the camera: they shift more when the head turns.
    depth = 1.0 - 0.5 * np.clip(np.linalg.norm(points - centre, axis=1) / radius, 0, 1.5)
    yaw = math.radians(float(motion[FIELD["head_yaw"]])) * follow
    pitch = math.radians(float(motion[FIELD["head_pitch"]])) * follow
    moved += np.outer(depth * yaw * radius, axes.right) + np.outer(depth * pitch * radius, axes.down)
    shift = float(motion[FIELD["head_x"]]) * axes.right + float(motion[FIELD["head_y"]]) * axes.down
    return (moved + shift * axes.face_width * follow).astype(np.float32)


# --- compositing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Palette:
    throat: np.ndarray
    teeth: np.ndarray
    tongue: np.ndarray


def _face_pixels(image: np.ndarray, rig: Rig) -> np.ndarray | None:
    """The pixels inside the face outline, as float32 RGB rows; None when the outline covers almost nothing."""
    face = _polygon_mask(rig.group("outline"), (image.shape[0], image.shape[1])) > 127
    return image[face].astype(np.float32) if face.sum() >= 16 else None


def _mouth_palette(image: np.ndarray, rig: Rig, face: np.ndarray | None) -> _Palette:
    """Throat, teeth and tongue in the portrait's own tones: a black-and-white photo keeps a grey mouth.

    The lips' median colour sets the hue and how colourful the interior may be; the teeth take the
    light of the face's brightest skin so they never glow brighter than the picture allows.
    """
    height, width = image.shape[:2]
    lips = _polygon_mask(rig.group("lips_outer"), (height, width)) > 127
    lips &= _polygon_mask(rig.group("lips_inner"), (height, width)) <= 127
    lip = np.median(image[lips], axis=0).astype(np.float32) if lips.sum() >= 4 else TONGUE_COLOUR
    skin = face if face is not None else image.reshape(-1, 3).astype(np.float32)
    colourfulness = min(1.0, _chroma(lip) / TYPICAL_LIP_CHROMA)
    light = float(np.percentile(skin.max(axis=1), 95))
    return _Palette(
        throat=_tinted(THROAT_COLOUR, colourfulness),
        teeth=_tinted(TEETH_COLOUR * min(1.0, (light + 40) / 255), colourfulness),
        tongue=_tinted(0.55 * TONGUE_COLOUR + 0.45 * lip * 0.8, colourfulness),
    )


def _chroma(colour: np.ndarray) -> float:
    return float((colour.max() - colour.min()) / max(float(colour.max()), 1.0))


def _tinted(colour: np.ndarray, colourfulness: float) -> np.ndarray:
    """The colour with its saturation scaled by colourfulness (0: its grey of the same luminance)."""
    grey = float(colour @ np.array([0.299, 0.587, 0.114], np.float32))
    return (grey + (colour - grey) * colourfulness).astype(np.float32)


def _paint_mouth(frame: np.ndarray, face: np.ndarray, axes: _Axes, jaw: float, palette: _Palette) -> None:
    """Fill the open mouth: throat, upper teeth under the lip once it opens enough, the tongue when it opens wide."""
    ring = face[GROUPS["lips_inner"]]
    opening = float((ring[[7, 6, 5]] - ring[[1, 2, 3]]) @ axes.down @ np.ones(3)) / 3
    if opening < 0.6:
        return
    smooth = _smooth_ring(ring)
    box = _polygon_box(smooth, frame.shape)
    if box is None:
        return
    x0, y0, x1, y1 = box
    mask = _polygon_mask(smooth - [x0, y0], (y1 - y0, x1 - x0))
    interior = _mouth_interior((mask.shape[0], mask.shape[1]), ring - [x0, y0], axes, opening, jaw, palette)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    patch = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(patch * (1 - alpha) + interior * alpha, 0, 255).astype(np.uint8)


def _mouth_interior(
    shape: tuple[int, int], ring: np.ndarray, axes: _Axes, opening: float, jaw: float, palette: _Palette
) -> np.ndarray:
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    top = float(ring[[1, 2, 3], 1].mean())
    centre_x = float(ring[[0, 4], 0].mean())
    half_width = max(float(abs(ring[4, 0] - ring[0, 0])) / 2, 1.0)
    across = np.clip(np.abs(xs - centre_x) / half_width, 0, 1)
    below_top = np.clip((ys - top) / max(opening, 1), 0, 1)
    # Throat: darker towards the middle and the back.
    depth = 1 - 0.45 * (1 - across) * below_top
    interior = palette.throat * depth[..., None]
    shade = (1 - 0.35 * across**2)[..., None]
    # Upper teeth: fade in between the minimum opening and twice it; rounded at the ends, behind the upper lip.
    teeth_show = np.clip(opening / (TEETH_MIN_OPENING * axes.mouth_width) - 1, 0, 1)
    if teeth_show > 0:
        teeth_height = min(0.13 * axes.mouth_width, 0.45 * opening) * np.sqrt(np.clip(1 - (across / 0.78) ** 2, 0, 1))
        teeth = ((ys - top) < teeth_height)[..., None]
        teeth_colour = palette.teeth * shade * (1 - 0.12 * below_top[..., None])
        interior = np.where(teeth, interior + (teeth_colour - interior) * teeth_show, interior)
    if jaw > 0.35:
        bottom = top + opening
        tongue = ((xs - centre_x) / (0.6 * half_width)) ** 2 + ((ys - bottom) / (0.35 * opening)) ** 2 < 1
        # Lit from above: the tongue's far (lower) part falls into the throat's shadow.
        lower = np.clip((ys - (bottom - 0.35 * opening)) / max(0.35 * opening, 1), 0, 1)[..., None]
        interior = np.where(tongue[..., None], palette.tongue * shade * (1 - 0.45 * lower), interior)
    return interior.astype(np.float32)


def _lid_colour(image: np.ndarray, rig: Rig, eye: str, skin_tone: np.ndarray | None) -> np.ndarray:
    """The skin tone of the lid: of the skin near the eye (above it, under it, the nose bridge), the one closest to the face's.

    Bangs, hat brims and dark brows often cover the strip above a drawn or painted eye, and a lid
    painted in their colour reads as a bruise; the face's median colour (skin_tone) says which nearby sample is skin.
    """
    points = rig.group(eye)
    lid, below = points[[1, 2, 3]].mean(axis=0), points[[5, 6, 7]].mean(axis=0)
    brow = rig.group("brow_l" if eye == "eye_l" else "brow_r").mean(axis=0)
    radius = max(2, round(0.12 * rig.eye_width()))
    centres = (lid + (brow - lid) * 0.5, below + (below - lid) * 0.9, rig.group("nose")[0])
    samples = [sample for sample in (_median_patch(image, centre, radius) for centre in centres) if sample is not None]
    if not samples:
        return np.full(3, 128, np.float32)
    if skin_tone is None:
        return samples[0]
    return min(samples, key=lambda sample: float(np.abs(sample - skin_tone).sum()))


def _median_patch(image: np.ndarray, centre: np.ndarray, radius: int) -> np.ndarray | None:
    """The median colour of a 4r × 2r patch (so lashes and stray hairs don't tint it); None off the picture."""
    x, y = np.round(centre).astype(int)
    patch = image[max(0, y - radius) : max(0, y + radius + 1), max(0, x - 2 * radius) : max(0, x + 2 * radius + 1)]
    return np.median(patch.reshape(-1, 3), axis=0).astype(np.float32) if patch.size else None


def _paint_lid(frame: np.ndarray, open_eye: np.ndarray, eye: np.ndarray, colour: np.ndarray, axes: _Axes, opacity: float) -> None:
    # Drawn eyes often reach past the detected lid line: lift and widen the lid a little to cover them.
    lift = axes.down * 0.18 * axes.eye_width
    widen = axes.right * 0.08 * axes.eye_width
    top = open_eye[[0, 1, 2, 3, 4]] - lift * np.array([0, 1, 1, 1, 0], np.float32)[:, None]
    top[0] -= widen
    top[4] += widen
    edge = eye[[4, 3, 2, 1, 0]] + widen * np.array([1, 0.5, 0, -0.5, -1], np.float32)[:, None]
    polygon = np.concatenate([top, edge])
    box = _polygon_box(polygon, frame.shape)
    if box is None:
        return
    x0, y0, x1, y1 = box
    mask = _polygon_mask(polygon - [x0, y0], (y1 - y0, x1 - x0))
    lash = np.zeros_like(mask)
    thickness = max(1, round(0.06 * axes.eye_width))
    cv2.polylines(lash, [np.round((edge - [x0, y0]) * 16).astype(np.int32)], False, (255,), thickness, cv2.LINE_AA, shift=4)
    skin = (mask.astype(np.float32) / 255 * opacity)[..., None]
    dark = (lash.astype(np.float32) / 255 * opacity * 0.8)[..., None]
    patch = frame[y0:y1, x0:x1].astype(np.float32)
    patch = patch * (1 - skin) + colour * skin
    patch = patch * (1 - dark) + colour * 0.3 * dark
    frame[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)


def _polygon_box(polygon: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """x0, y0, x1, y1 around a polygon with a small margin, clipped to the frame; None when off it."""
    height, width = shape[:2]
    x0, y0 = np.maximum(np.floor(polygon.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(polygon.max(axis=0)).astype(int) + 3, [width, height])
    return (int(x0), int(y0), int(x1), int(y1)) if x1 > x0 and y1 > y0 else None


def _polygon_mask(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased uint8 mask of a polygon (sub-pixel corners)."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * 16).astype(np.int32)], (255,), lineType=cv2.LINE_AA, shift=4)
    return mask


def _smooth_ring(ring: np.ndarray) -> np.ndarray:
    """Twice as many points on a closed ring (Catmull-Rom midpoints), for rounder lip edges."""
    before, after, later = np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0), np.roll(ring, -2, axis=0)
    out = np.empty((2 * len(ring), 2), np.float32)
    out[0::2], out[1::2] = ring, (-before + 9 * ring + 9 * after - later) / 16
    return out


def _badge(width: int, height: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The visible AI label, drawn once: colour, alpha and its top-left corner (bottom-right of the frame)."""
    scale = max(0.35, min(width, height) / 1100)
    thickness = 1 if scale < 0.6 else 2
    (text_w, text_h), baseline = cv2.getTextSize(BADGE_TEXT, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = max(3, round(text_h * 0.45))
    box_w, box_h = text_w + 2 * pad, text_h + baseline + 2 * pad
    colour = np.zeros((box_h, box_w, 3), np.uint8)
    alpha = np.full((box_h, box_w), 0.55, np.float32)
    text = np.zeros((box_h, box_w), np.uint8)
    cv2.putText(text, BADGE_TEXT, (pad, pad + text_h), cv2.FONT_HERSHEY_SIMPLEX, scale, (255,), thickness, cv2.LINE_AA)
    glyph = text.astype(np.float32) / 255
    colour[:] = (glyph[..., None] * 255).astype(np.uint8)
    alpha = np.maximum(alpha, glyph)
    margin = max(4, round(min(width, height) * 0.02))
    return colour, alpha[..., None], width - box_w - margin, height - box_h - margin


def _overlay(frame: np.ndarray, colour: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    height, width = colour.shape[:2]
    region = frame[y : y + height, x : x + width].astype(np.float32)
    frame[y : y + height, x : x + width] = (region * (1 - alpha) + colour * alpha).astype(np.uint8)
