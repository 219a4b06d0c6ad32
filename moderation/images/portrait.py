"""Is an uploaded character portrait a photograph of a real person?

Marionette animates drawn, painted, rendered, anime and animal characters; photographs of real
people are refused (or held for a moderator when the uploader attests it is their own face).

How the check decides, in three explainable steps:

1. Faces: dlib's HOG detector (faces.py). No face → allow: there is nobody to protect, and
   nothing to animate.
2. Photo probability, per face: a head-and-shoulders crop around each of the largest faces goes
   through EfficientNet-Lite0 (backbone.py, ImageNet-pretrained, shipped in a PyPI package), and
   a logistic regression on its 1280 features says whether that face was photographed. The head
   is fitted by `python -m training.portrait_model` on evals/data/portraits/ (the project's own
   set plus images gathered from packages, never the held-out ones) and shipped as
   moderation/images/portrait_model.json. The most photo-like face counts: a real person beside
   a drawn one is still a real person. Camera EXIF (make/model/exposure) and drawing-software
   tags shift the log-odds by fixed priors, because the training images carry no such metadata.
3. Decision: probability ≥ BLOCK_AT → block (review when attested); REVIEW_AT ≤ probability <
   BLOCK_AT → review (uncertain); otherwise allow.

Where it is weakest (photographed statues, heavily filtered photos, very photoreal renders) is
listed in evals/data/portraits/README.md with the held-out figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from moderation.images.backbone import embed
from moderation.images.faces import FaceBox, detect_faces
from moderation.images.upload import Upload, art_software, camera_fields, camera_name, load_upload

MODEL_PATH = Path(__file__).resolve().parent / "portrait_model.json"

BLOCK_AT = 0.5
REVIEW_AT = 0.3
# Faces scored per upload (largest first): each costs ~25 ms on one CPU core.
MAX_FACES = 3
# The crop the head was fitted on: a square FACE_CROP face widths wide, centred a little below
# the face's centre so it holds hair, ears and neck (where paint and skin differ most).
FACE_CROP = 2.0
FACE_CROP_DROP = 0.1

# Log-odds added by metadata. A camera's make/model multiplies the odds of "photograph" by ~12
# (e^2.5): drawing apps and renderers don't write it, phones and cameras always do. Exposure
# fields alone (no make/model) are weaker; drawing or 3D software named in the file is evidence
# the other way (a photo edited in Photoshop still keeps its camera fields, and Photoshop is not
# counted as art software).
CAMERA_PRIOR = 2.5
EXPOSURE_PRIOR = 1.5
ART_SOFTWARE_PRIOR = -2.0


@dataclass(frozen=True)
class ImageVerdict:
    """What the check decided, why (for the creator), and the raw numbers (for the moderator)."""

    decision: str  # "allow" | "review" | "block"
    photo_probability: float  # 0..1 that this is a photograph (of the person whose face was found)
    faces: int
    reasons: list[str] = field(default_factory=list)
    signals: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "decision": self.decision,
            "photo_probability": self.photo_probability,
            "faces": self.faces,
            "reasons": list(self.reasons),
            "signals": self.signals,
        }


@dataclass(frozen=True)
class PhotoModel:
    """A logistic regression on the backbone's features (standardization folded into the weights)."""

    coef: np.ndarray
    intercept: float
    about: str

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Log-odds that each crop shows a photographed real face."""
        return features.astype(np.float64) @ self.coef + self.intercept


@cache
def load_model(path: Path = MODEL_PATH) -> PhotoModel:
    """The fitted head shipped beside this module (see `python -m training.portrait_model`)."""
    data = json.loads(path.read_text())
    return PhotoModel(coef=np.asarray(data["coef"], dtype=np.float64), intercept=float(data["intercept"]), about=data["about"])


def check_portrait(image: Image.Image | bytes, *, attested_own_likeness: bool = False, exif: dict | None = None) -> ImageVerdict:
    """Decide whether a portrait may be animated. Pass the original upload bytes so EXIF can be read.

    exif: extra metadata (tag names or numeric ids → values) when the caller has already parsed
    or stripped it; it overrides what the image itself carries.
    """
    try:
        upload = load_upload(image, exif)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValueError(f"not a readable image: {error}") from error
    faces = detect_faces(upload.rgb)
    scored = faces[:MAX_FACES]
    crops = [face_crop(upload.rgb, face) for face in scored] or [upload.rgb]
    metadata_logit, metadata_evidence = metadata_prior(upload)
    logits = load_model().logits(embed(crops)) + metadata_logit
    logit = float(logits.max())
    probability = _sigmoid(logit)
    decision = decide(probability, len(faces), attested_own_likeness)
    signals = {
        "scored": "faces" if scored else "whole image (no face found)",
        "crop_photo_probabilities": [round(_sigmoid(float(value)), 4) for value in logits],
        "logit": round(logit, 3),
        "metadata_logit": metadata_logit,
        "exif_camera": camera_fields(upload.exif),
        "art_software": art_software(upload.exif, upload.text),
        "format": upload.format,
        "jpeg_quality": upload.jpeg_quality,
        "size": list(upload.original_size),
        "face_boxes": [face.to_dict() for face in faces],
        "thresholds": {"block": BLOCK_AT, "review": REVIEW_AT},
        "attested_own_likeness": attested_own_likeness,
    }
    return ImageVerdict(
        decision=decision,
        photo_probability=round(probability, 4),
        faces=len(faces),
        reasons=explain(decision, probability, len(faces), attested_own_likeness, metadata_evidence),
        signals=signals,
    )


def face_crop(rgb: np.ndarray, face: FaceBox) -> np.ndarray:
    """The square around a face that the head was fitted on, shifted to stay inside the image."""
    height, width = rgb.shape[:2]
    side = max(1, min(round(face.width * FACE_CROP), width, height))
    centre_x = (face.left + face.right) / 2
    centre_y = (face.top + face.bottom) / 2 + face.height * FACE_CROP_DROP
    left = int(min(max(0, centre_x - side / 2), width - side))
    top = int(min(max(0, centre_y - side / 2), height - side))
    return rgb[top : top + side, left : left + side]


def decide(probability: float, faces: int, attested: bool) -> str:
    """The policy: only a face that is probably photographed is held back."""
    if faces == 0 or probability < REVIEW_AT:
        return "allow"
    if probability < BLOCK_AT or attested:
        return "review"
    return "block"


def metadata_prior(upload: Upload) -> tuple[float, list[str]]:
    """Log-odds from EXIF camera fields and drawing-software tags, with the evidence in words."""
    logit, evidence = 0.0, []
    camera = camera_name(upload.exif)
    exposure = [
        name
        for name in ("ExposureTime", "FNumber", "ISOSpeedRatings", "PhotographicSensitivity", "FocalLength")
        if name in upload.exif
    ]
    if camera:
        logit += CAMERA_PRIOR
        evidence.append(f"camera metadata: {camera}")
    elif exposure:
        logit += EXPOSURE_PRIOR
        evidence.append(f"camera exposure metadata ({', '.join(exposure)})")
    software = art_software(upload.exif, upload.text)
    if software:
        logit += ART_SOFTWARE_PRIOR
        evidence.append(f"made with {software}")
    return logit, evidence


def explain(decision: str, probability: float, faces: int, attested: bool, evidence: list[str]) -> list[str]:
    """Reasons a creator can act on."""
    because = f" ({'; '.join(evidence)})" if evidence else ""
    percent = f"{probability:.0%}"
    face = "the face" if faces == 1 else f"the most photo-like of the {faces} faces"
    if faces == 0:
        return ["No face was found, so there is no real person to protect (and the animator needs a visible, front-facing face)."]
    if decision == "allow":
        return [
            f"{face.capitalize()} looks drawn, painted, rendered or non-human rather than a photographed person{because}; photo likelihood {percent}."
        ]
    if decision == "block":
        return [
            f"This looks like a photograph of a real person: {face} looks photographed{because}; photo likelihood {percent}.",
            "Marionette animates drawn, painted, rendered and animal characters, not photos of real people: upload an illustration instead.",
            "If this is a photo of you, tick 'this is my own likeness' and a moderator will review it.",
        ]
    if attested and probability >= BLOCK_AT:
        return [
            f"This looks like a photograph of a real person: {face} looks photographed{because}; photo likelihood {percent}.",
            "You said it is your own likeness, so a moderator will check it before it can be animated.",
        ]
    return [
        f"We can't tell whether {face} is photographed or a realistic illustration{because}; photo likelihood {percent}.",
        "A moderator will look at it before it can be animated; a clearly drawn or rendered portrait is approved right away.",
    ]


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
