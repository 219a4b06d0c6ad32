"""Face rig: a fixed set of named face points on a portrait, the shape the renderer deforms.

Every rig has the same 70 points in the same order whatever made it (mediapipe's face mesh, a
Haar face box with a template, or the creator's rig editor), so motion and rendering never need
to know the source. Coordinates are pixels of the portrait the rig was made for; "left" and
"right" are the image's, not the character's.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

RIG_VERSION = 1

# Point groups, in storage order, with their sizes. Rings run clockwise on screen from the
# leftmost corner (eyes, lips) or from the top of the forehead (outline).
GROUP_SIZES: dict[str, int] = {
    "outline": 18,  # closed loop; index 9 is the chin
    "brow_l": 5,  # left to right
    "brow_r": 5,
    "eye_l": 8,  # corner, 3 upper lid, corner, 3 lower lid
    "eye_r": 8,
    "pupils": 2,  # left eye, right eye
    "nose": 4,  # bridge, tip, left nostril, right nostril
    "lips_outer": 12,  # corner, 5 upper, corner, 5 lower
    "lips_inner": 8,  # corner, 3 upper, corner, 3 lower
}


def _slices() -> dict[str, slice]:
    slices, start = {}, 0
    for name, size in GROUP_SIZES.items():
        slices[name] = slice(start, start + size)
        start += size
    return slices


GROUPS: dict[str, slice] = _slices()
POINT_COUNT = sum(GROUP_SIZES.values())

# Points the rig editor lets creators drag; everything else is derived from them.
HANDLE_SIZES: dict[str, int] = {"outline": 9, "eye_l": 4, "eye_r": 4, "mouth": 4}
HANDLE_HELP = {
    "outline": "face outline, clockwise from the top of the forehead; the 5th point is the chin",
    "eye_l": "left eye: left corner, top of the lid, right corner, bottom",
    "eye_r": "right eye: left corner, top of the lid, right corner, bottom",
    "mouth": "mouth: left corner, top of the upper lip, right corner, bottom of the lower lip",
}

# mediapipe face-mesh landmark indices for each group (refined mesh: 478 points, irises at 468+).
_MEDIAPIPE_INDICES: dict[str, list[int]] = {
    "outline": [10, 297, 284, 389, 454, 361, 397, 379, 400, 152, 148, 149, 136, 58, 93, 127, 21, 103],
    "brow_l": [70, 63, 105, 66, 107],
    "brow_r": [336, 296, 334, 293, 300],
    "eye_l": [33, 161, 159, 157, 133, 154, 145, 163],
    "eye_r": [362, 384, 386, 388, 263, 390, 374, 381],
    "pupils": [468, 473],
    "nose": [168, 4, 98, 327],
    "lips_outer": [61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91],
    "lips_inner": [78, 81, 13, 311, 308, 402, 14, 178],
}

# A generic face in the unit square of a Haar face box (x right, y down), as editor handles.
_TEMPLATE_HANDLES: dict[str, list[tuple[float, float]]] = {
    "outline": [
        (0.50, -0.12),
        (0.84, 0.00),
        (0.96, 0.34),
        (0.92, 0.70),
        (0.50, 1.04),
        (0.08, 0.70),
        (0.04, 0.34),
        (0.16, 0.00),
    ],
    "eye_l": [(0.20, 0.40), (0.31, 0.355), (0.42, 0.40), (0.31, 0.435)],
    "eye_r": [(0.58, 0.40), (0.69, 0.355), (0.80, 0.40), (0.69, 0.435)],
    "mouth": [(0.33, 0.79), (0.50, 0.74), (0.67, 0.79), (0.50, 0.85)],
}


class RigError(ValueError):
    """A rig that cannot drive a face; the message tells the creator what to fix."""


class RigUncertain(RigError):
    """No detector found the face with confidence: a clip from a guessed rig would animate the wrong place."""


UNCERTAIN_RIG = (
    "No face was found in this portrait with confidence, so a clip would move the wrong part of the picture. "
    "Place the face points in the rig editor first."
)
# Where each rig comes from; only the template is a guess (the editor's and a card's are the creator's own placing).
GUESSED_SOURCES = ("template",)


@dataclass(frozen=True)
class Rig:
    """70 named face points on a width × height portrait; source says what placed them."""

    width: int
    height: int
    points: np.ndarray  # (POINT_COUNT, 2) float32, pixels
    source: str  # "mediapipe", "haar", "template" or "editor"

    @property
    def trusted(self) -> bool:
        """A detector found the face, or a person placed the points: safe to animate without asking."""
        return self.source not in GUESSED_SOURCES

    def group(self, name: str) -> np.ndarray:
        return self.points[GROUPS[name]]

    def scaled(self, width: int, height: int) -> Rig:
        """The same rig on the portrait resized to width × height."""
        factor = np.array([width / self.width, height / self.height], np.float32)
        return Rig(width, height, (self.points * factor).astype(np.float32), self.source)

    def face_box(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 around the outline."""
        outline = self.group("outline")
        return (*outline.min(axis=0).tolist(), *outline.max(axis=0).tolist())

    def eye_width(self) -> float:
        """Mean eye width: the unit the renderer and motion use for face-relative sizes."""
        widths = [float(np.linalg.norm(self.group(eye)[4] - self.group(eye)[0])) for eye in ("eye_l", "eye_r")]
        return sum(widths) / 2

    def handles(self) -> dict[str, list[list[float]]]:
        """The editor's draggable points, derived from the full rig."""
        lips = self.group("lips_outer")
        return {
            "outline": _rounded(self.group("outline")[::2]),
            "eye_l": _rounded(self.group("eye_l")[[0, 2, 4, 6]]),
            "eye_r": _rounded(self.group("eye_r")[[0, 2, 4, 6]]),
            "mouth": _rounded(lips[[0, 3, 6, 9]]),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": RIG_VERSION,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "points": {name: _rounded(self.group(name)) for name in GROUP_SIZES},
        }

    @classmethod
    def from_dict(cls, data: Any) -> Rig:
        """Rebuild a stored rig, checking every field: stored data may come from an imported card."""
        if not isinstance(data, dict):
            raise RigError("A face rig must be a JSON object.")
        if data.get("version") != RIG_VERSION:
            raise RigError(f"Unsupported face rig version {data.get('version')!r}; expected {RIG_VERSION}.")
        width, height = _image_size(data.get("width"), data.get("height"))
        groups = data.get("points")
        if not isinstance(groups, dict):
            raise RigError("A face rig needs its points.")
        points = np.concatenate([_point_list(groups.get(name), name, size) for name, size in GROUP_SIZES.items()])
        source = data.get("source")
        if source not in ("mediapipe", "haar", "template", "editor"):
            raise RigError("Unknown face rig source.")
        rig = cls(width, height, points, source)
        _check_layout(rig)
        return rig

    @classmethod
    def from_handles(cls, handles: Any, width: int, height: int, *, source: str = "editor") -> Rig:
        """A full rig from the editor's points: lids, brows, nose and lips follow the eyes and mouth."""
        width, height = _image_size(width, height)
        if not isinstance(handles, dict):
            raise RigError("The rig's points must be a JSON object.")
        parts = {name: _point_list(handles.get(name), name, size) for name, size in HANDLE_SIZES.items()}
        outline = _closed_midpoints(parts["outline"])
        eye_l, eye_r = _eye_ring(parts["eye_l"]), _eye_ring(parts["eye_r"])
        lips_outer, lips_inner = _lips(parts["mouth"])
        groups = {
            "outline": outline,
            "brow_l": _brow(eye_l, outer_left=True),
            "brow_r": _brow(eye_r, outer_left=False),
            "eye_l": eye_l,
            "eye_r": eye_r,
            "pupils": np.stack([parts["eye_l"].mean(axis=0), parts["eye_r"].mean(axis=0)]),
            "nose": _nose(eye_l, eye_r, lips_outer),
            "lips_outer": lips_outer,
            "lips_inner": lips_inner,
        }
        rig = cls(width, height, np.concatenate([groups[name] for name in GROUP_SIZES]).astype(np.float32), source)
        _check_layout(rig)
        return rig


def detect_rig(image: np.ndarray) -> Rig:
    """The best rig this portrait allows: face mesh, else a Haar face box with eyes in it, else a centred template.

    The template is only a starting point for the editor (`trusted` is False): clips refuse it.
    """
    height, width = image.shape[:2]
    landmarks = _face_mesh_landmarks(image)
    if landmarks is not None:
        points = np.concatenate([landmarks[_MEDIAPIPE_INDICES[name]] for name in GROUP_SIZES])
        rig = Rig(width, height, points.astype(np.float32), "mediapipe")
        try:
            _check_layout(rig)
            return rig
        except RigError:
            pass  # a profile or a false detection: the template below is a better start
    box = _haar_face_box(image)
    if box is not None:
        return template_rig(box, width, height, source="haar")
    return template_rig(_centred_box(width, height), width, height, source="template")


def template_rig(box: tuple[float, float, float, float], width: int, height: int, *, source: str = "template") -> Rig:
    """A generic face fitted to the box x, y, w, h: where the editor starts for faces no detector finds."""
    x, y, w, h = box
    handles = {name: [(x + u * w, y + v * h) for u, v in points] for name, points in _TEMPLATE_HANDLES.items()}
    handles["outline"] = _outline_from_template(handles["outline"])
    clipped = {name: np.clip(np.asarray(pts, np.float32), 0, [width - 1, height - 1]).tolist() for name, pts in handles.items()}
    return Rig.from_handles(clipped, width, height, source=source)


# --- detection -----------------------------------------------------------------------------------

_mesh_lock = threading.Lock()


@functools.cache
def _face_mesh() -> Any:
    """One face-mesh graph per process (building it costs ~50 ms); calls are serialised by _mesh_lock."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    from mediapipe.python.solutions import face_mesh  # heavy import, only when a rig is detected

    return face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5)


def _face_mesh_landmarks(image: np.ndarray) -> np.ndarray | None:
    """478 landmark pixels of the most prominent face, or None."""
    height, width = image.shape[:2]
    with _mesh_lock:
        result = _face_mesh().process(np.ascontiguousarray(image))
    if not result.multi_face_landmarks:
        return None
    marks = result.multi_face_landmarks[0].landmark
    return np.array([(m.x * width, m.y * height) for m in marks], np.float32)


def _haar_face_box(image: np.ndarray) -> tuple[float, float, float, float] | None:
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    side = min(gray.shape)
    faces = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(max(24, side // 8),) * 2
    )
    # A face box is believed only with an eye in its upper half: hands, knees, fur and textures fool the face cascade.
    faces = [face for face in faces if _has_eyes(gray, face)]
    if not faces:
        return None
    # Portraits put the face high up: prefer large faces near the top.
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3] * (1.5 - (f[1] + f[3] / 2) / gray.shape[0]))
    return float(x), float(y), float(w), float(h)


@functools.cache
def _cascade(name: str) -> Any:
    """One of OpenCV's bundled Haar cascades, read from disk once per process."""
    return cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]  # cv2.data exists at run time; the stubs omit it


def _has_eyes(gray: np.ndarray, face: Any) -> bool:
    """At least one eye, as OpenCV's eye cascade sees it, in the upper half of the face box."""
    x, y, w, h = (int(value) for value in face)
    upper = gray[y : y + h // 2 + h // 10, x : x + w]
    eyes = _cascade("haarcascade_eye.xml").detectMultiScale(
        upper, scaleFactor=1.1, minNeighbors=4, minSize=(max(8, w // 10),) * 2, maxSize=(w // 2,) * 2
    )
    return len(eyes) > 0


def _centred_box(width: int, height: int) -> tuple[float, float, float, float]:
    """Where a portrait's face usually is: centred, in the upper half."""
    side = 0.45 * min(width, height)
    return (width - side) / 2, 0.22 * height, side, side


# --- building a rig from handles -------------------------------------------------------------------


def _outline_from_template(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The template lists 8 outline points; handles need 9 (the chin is the 5th): split the top edge."""
    loop = np.asarray(points, np.float32)
    return _closed_midpoints(loop)[[0, 2, 4, 6, 8, 10, 12, 14, 15]].tolist()


def _closed_midpoints(loop: np.ndarray) -> np.ndarray:
    """Double a closed polygon's points with Catmull-Rom midpoints, so the curve stays smooth."""
    before, after, next_after = np.roll(loop, 1, axis=0), np.roll(loop, -1, axis=0), np.roll(loop, -2, axis=0)
    mids = (-before + 9 * loop + 9 * after - next_after) / 16
    out = np.empty((2 * len(loop), 2), np.float32)
    out[0::2], out[1::2] = loop, mids
    return out


def _arc(start: np.ndarray, end: np.ndarray, apex: np.ndarray, fractions: tuple[float, ...]) -> np.ndarray:
    """Points along a parabola from start to end whose middle passes through apex."""
    middle = (start + end) / 2
    return np.array([start + (end - start) * s + (apex - middle) * 4 * s * (1 - s) for s in fractions], np.float32)


def _eye_ring(handles: np.ndarray) -> np.ndarray:
    left, top, right, bottom = handles
    upper = _arc(left, right, top, (0.25, 0.5, 0.75))
    lower = _arc(right, left, bottom, (0.25, 0.5, 0.75))
    return np.concatenate([[left], upper, [right], lower]).astype(np.float32)


def _brow(eye: np.ndarray, *, outer_left: bool) -> np.ndarray:
    """A brow arching above the eye, reaching a little past its outer corner."""
    left, right = eye[0], eye[4]
    width = float(np.linalg.norm(right - left))
    lift = np.array([0.0, -0.75 * width], np.float32)
    stretch = (right - left) * 0.15
    start = left + lift - (stretch if outer_left else 0)
    end = right + lift + (0 if outer_left else stretch)
    apex = (start + end) / 2 + np.array([0.0, -0.18 * width], np.float32)
    return _arc(start, end, apex, (0.0, 0.25, 0.5, 0.75, 1.0))


def _nose(eye_l: np.ndarray, eye_r: np.ndarray, lips_outer: np.ndarray) -> np.ndarray:
    bridge = (eye_l[4] + eye_r[0]) / 2
    lip_top = lips_outer[3]
    tip = bridge + (lip_top - bridge) * 0.72
    half = 0.28 * float(np.linalg.norm(lips_outer[6] - lips_outer[0]))
    down = (lip_top - bridge) * 0.08
    return np.stack([bridge, tip, tip + down - [half, 0], tip + down + [half, 0]]).astype(np.float32)


def _lips(handles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outer and inner lip rings of a closed mouth from its corners, top and bottom."""
    left, top, right, bottom = handles
    seam = top + (bottom - top) * 0.45
    fractions5 = (1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6)
    upper = _arc(left, right, top, fractions5)
    lower = _arc(right, left, bottom, fractions5)
    outer = np.concatenate([[left], upper, [right], lower])
    inset = (right - left) * 0.06
    inner_left, inner_right = left + inset, right - inset
    inner_upper = _arc(inner_left, inner_right, seam, (0.25, 0.5, 0.75))
    inner_lower = _arc(inner_right, inner_left, seam, (0.25, 0.5, 0.75))
    inner = np.concatenate([[inner_left], inner_upper, [inner_right], inner_lower])
    return outer.astype(np.float32), inner.astype(np.float32)


# --- validation ------------------------------------------------------------------------------------


def _image_size(width: Any, height: Any) -> tuple[int, int]:
    if not all(isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 8192 for v in (width, height)):
        raise RigError("A face rig needs the portrait's width and height (16 to 8192 pixels).")
    return width, height


def _point_list(value: Any, name: str, size: int) -> np.ndarray:
    if not isinstance(value, list) or len(value) != size:
        raise RigError(f"'{name}' needs exactly {size} points.")
    for point in value:
        if not (isinstance(point, list | tuple) and len(point) == 2 and all(_is_number(c) for c in point)):
            raise RigError(f"Each point of '{name}' must be a pair of numbers [x, y].")
    return np.asarray(value, np.float32)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_layout(rig: Rig) -> None:
    """Refuse rigs the renderer would tear: points off the image, eyes or lips inside out, a face too small."""
    margin = 0.02 * max(rig.width, rig.height)
    low, high = -margin, np.array([rig.width + margin, rig.height + margin])
    if (rig.points < low).any() or (rig.points > high).any():
        raise RigError("Every rig point must lie on the portrait.")
    eye_l, eye_r = rig.group("eye_l"), rig.group("eye_r")
    if not eye_l[:, 0].mean() < eye_r[:, 0].mean():
        raise RigError("The left eye must be left of the right eye.")
    for name, eye in (("left eye", eye_l), ("right eye", eye_r)):
        if not (eye[0, 0] < eye[4, 0] and eye[2, 1] <= eye[6, 1]):
            raise RigError(f"The {name}'s corners must be left and right, its lid above its bottom.")
    lips = rig.group("lips_outer")
    if not (lips[0, 0] < lips[6, 0] and lips[3, 1] < lips[9, 1]):
        raise RigError("The mouth's corners must be left and right, its top above its bottom.")
    if not max(eye_l[:, 1].max(), eye_r[:, 1].max()) < lips[3, 1]:
        raise RigError("The eyes must be above the mouth.")
    outline = rig.group("outline")
    if cv2.pointPolygonTest(outline.reshape(-1, 1, 2), (float(lips[9, 0]), float(lips[9, 1])), False) < 0:
        raise RigError("The mouth must be inside the face outline.")
    if rig.eye_width() < 4:
        raise RigError("The face is too small to animate: make the eyes at least 4 pixels wide.")


def _rounded(points: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]
