"""Face detection shared by the photo check and the likeness matcher.

dlib's HOG frontal-face detector finds faces in photographs well and runs on the CPU in about
0.1 s at our working size; the model files for landmarks and embeddings come from the installed
face-recognition-models package. That package's __init__ imports pkg_resources (not installed
here), so the files are located through importlib's spec without importing it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

# Detector scores below 0 are weaker than dlib's default; -0.25 still finds the cameraman's
# three-quarter face. Weak detections also fire on badges and patches (the astronaut's mission
# patch scores 0.2), so anything under CONFIDENT_SCORE must be confirmed: first by one of OpenCV's
# Haar cascades (frontal or profile, ~1 ms), and, when the image has no confident face at all, by
# dlib's CNN face detector on a small crop (~0.12 s each, at most CNN_CHECKS of them).
DETECTION_THRESHOLD = -0.25
CONFIDENT_SCORE = 0.3
CNN_CHECKS = 2
CNN_FACE_SIDE = 80  # the CNN's smallest reliable face; crops are scaled so the face is this wide
HAAR_CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml")
# Faces smaller than ~80 px need one pyramid upsample; the working size keeps that affordable.
DETECTION_MAX_SIDE = 640
DETECTION_UPSAMPLE = 1


@dataclass(frozen=True)
class FaceBox:
    """A detected face in the coordinates of the image it was found in."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def to_dict(self) -> dict:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom, "score": round(self.score, 3)}


class ModelFilesMissing(RuntimeError):
    """The dlib model files (face-recognition-models) are not installed."""


def model_path(name: str) -> Path:
    """Path of a dlib model file shipped by face-recognition-models, found without importing it."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesMissing("face-recognition-models is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise ModelFilesMissing(f"{path} is missing")
    return path


@cache
def _detector():
    import dlib

    return dlib.get_frontal_face_detector()


def detect_faces(rgb: np.ndarray, *, threshold: float = DETECTION_THRESHOLD) -> list[FaceBox]:
    """Faces in an RGB uint8 array, largest first; big images are searched at a reduced size."""
    height, width = rgb.shape[:2]
    scale = min(1.0, DETECTION_MAX_SIDE / max(height, width))
    small = _resize(rgb, scale) if scale < 1.0 else rgb
    rects, scores, _ = _detector().run(np.ascontiguousarray(small), DETECTION_UPSAMPLE, threshold)
    boxes = [
        FaceBox(
            left=max(0, round(rect.left() / scale)),
            top=max(0, round(rect.top() / scale)),
            right=min(width, round(rect.right() / scale)),
            bottom=min(height, round(rect.bottom() / scale)),
            score=float(score),
        )
        for rect, score in zip(rects, scores, strict=True)
    ]
    boxes = [box for box in boxes if box.width > 0 and box.height > 0]
    boxes = _confirmed(rgb, boxes)
    return sorted(boxes, key=lambda box: box.width * box.height, reverse=True)


def _confirmed(rgb: np.ndarray, boxes: list[FaceBox]) -> list[FaceBox]:
    """Confident detections, plus weak ones that a second detector also sees."""
    confident = [box for box in boxes if box.score >= CONFIDENT_SCORE]
    weak = sorted((box for box in boxes if box.score < CONFIDENT_SCORE), key=lambda box: box.score, reverse=True)
    if not weak:
        return confident
    gray = _grey(rgb)
    kept = [box for box in weak if _haar_confirms(gray, box)]
    if not confident and not kept:
        kept = [box for box in weak[:CNN_CHECKS] if _cnn_confirms(rgb, box)]
    return confident + kept


def _cnn_confirms(rgb: np.ndarray, box: FaceBox) -> bool:
    """dlib's MMOD CNN face detector, run on a crop around the box scaled to CNN_FACE_SIDE."""
    import cv2

    try:
        detector = _cnn_detector()
    except ModelFilesMissing:
        return False
    pad = round(box.width * 0.35)
    crop = rgb[max(0, box.top - pad) : box.bottom + pad, max(0, box.left - pad) : box.right + pad]
    factor = CNN_FACE_SIDE / max(1, box.width)
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=interpolation)
    return len(detector(np.ascontiguousarray(crop), 0)) > 0


@cache
def _cnn_detector():
    import dlib

    return dlib.cnn_face_detection_model_v1(str(model_path("mmod_human_face_detector.dat")))


def _haar_confirms(gray: np.ndarray, box: FaceBox) -> bool:
    """Whether a Haar cascade (frontal, or profile either way round) also sees a face at the box."""
    import cv2

    pad = round(box.width * 0.3)
    crop = gray[max(0, box.top - pad) : box.bottom + pad, max(0, box.left - pad) : box.right + pad]
    min_size = (max(8, box.width // 2),) * 2
    for cascade in _cascades():
        for candidate in (crop, cv2.flip(crop, 1)):
            if len(cascade.detectMultiScale(candidate, scaleFactor=1.05, minNeighbors=3, minSize=min_size)):
                return True
    return False


@cache
def _cascades() -> list:
    import cv2

    return [cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in HAAR_CASCADES]


def _grey(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def _resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
