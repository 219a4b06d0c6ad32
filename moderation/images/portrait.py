"""Is an uploaded character portrait a photograph of a real person?

Marionette animates drawn, painted, rendered, anime and animal characters; photographs of real
people are refused (or held for a moderator when the uploader attests it is their own face).

How the check decides, in three explainable steps:

1. Faces: dlib's HOG detector. No face → allow: there is nobody to protect, and nothing to animate.
2. Photo probability: a logistic regression over image statistics (sensor-like noise, flat colour
   areas, residual tail weight, soft-gradient share, colour concentration, saturation; for the
   whole image and for the main face), fitted on evals/data/portraits/ by
   `python -m training.portrait_model` and shipped as moderation/images/portrait_model.json.
   Camera EXIF (make/model/exposure) and drawing-software tags shift the log-odds by fixed priors,
   because the evaluation set has no such metadata to fit them on.
3. Decision: a face and probability ≥ BLOCK_AT → block (review when attested); a face and
   REVIEW_AT ≤ probability < BLOCK_AT → review (uncertain); otherwise allow.

The statistics are weakest on painterly work with canvas grain and on heavily filtered photos;
the bench reports those cases (see evals/data/portraits/README.md).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from moderation.images.faces import detect_faces
from moderation.images.features import image_features
from moderation.images.upload import Upload, art_software, camera_fields, camera_name, load_upload

MODEL_PATH = Path(__file__).resolve().parent / "portrait_model.json"

BLOCK_AT = 0.5
REVIEW_AT = 0.3

# Log-odds added by metadata. A camera's make/model multiplies the odds of "photograph" by ~12
# (e^2.5): drawing apps and renderers don't write it, phones and cameras always do. Exposure
# fields alone (no make/model) are weaker; drawing or 3D software named in the file is evidence
# the other way (a photo edited in Photoshop still keeps its camera fields, and Photoshop is not
# counted as art software).
CAMERA_PRIOR = 2.5
EXPOSURE_PRIOR = 1.5
ART_SOFTWARE_PRIOR = -2.0

# How each feature reads to a creator: (when it pushes towards "photo", when towards "drawing").
FEATURE_PHRASES: dict[str, tuple[str, str]] = {
    "noise_sigma": ("sensor-like noise", "noise-free shading"),
    "noise_floor": ("grain even in the smoothest areas", "perfectly clean areas"),
    "flat_share": ("no flat colour areas", "large flat colour areas"),
    "residual_kurtosis": ("photo-like fine texture", "crisp outlines on smooth paint"),
    "soft_gradient_share": ("photo-like texture", "few soft gradients"),
    "top_colour_share": ("many distinct colours", "a few dominant colours"),
    "distinct_colours": ("many distinct colours", "a limited palette"),
    "saturation_mean": ("natural saturation", "stylised saturation"),
    "grey_share": ("greyscale photo tones", "colour-drawing tones"),
    "face_noise_sigma": ("sensor-like noise on the face", "clean shading on the face"),
    "face_noise_floor": ("skin texture", "smooth painted skin"),
    "face_flat_share": ("no flat colour on the face", "flat colour on the face"),
    "face_residual_kurtosis": ("photo-like texture on the face", "crisp linework on the face"),
    "face_soft_gradient_share": ("photo-like texture on the face", "few soft gradients on the face"),
    "face_strong_edge_share": ("photo-like edges on the face", "strong outlines on the face"),
    "strong_edge_share": ("photo-like edges", "strong outlines"),
    "spectral_slope": ("natural-image frequency falloff", "drawing-like frequency content"),
}


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
    """Standardize → linear → logistic: few enough numbers to read and explain."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def contributions(self, values: dict[str, float | None]) -> dict[str, float]:
        """Each feature's additive share of the log-odds; a missing value (no face) counts as average."""
        return {
            name: 0.0 if values.get(name) is None else coef * (values[name] - mean) / scale
            for name, mean, scale, coef in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        }


@cache
def load_model(path: Path = MODEL_PATH) -> PhotoModel:
    """The fitted parameters shipped beside this module (see `python -m training.portrait_model`)."""
    data = json.loads(path.read_text())
    return PhotoModel(
        features=tuple(data["features"]),
        mean=tuple(data["mean"]),
        scale=tuple(data["scale"]),
        coef=tuple(data["coef"]),
        intercept=float(data["intercept"]),
    )


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
    features = image_features(upload.rgb, faces)
    model = load_model()
    contributions = model.contributions(features)
    metadata_logit, metadata_evidence = metadata_prior(upload)
    logit = model.intercept + sum(contributions.values()) + metadata_logit
    probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
    decision = decide(probability, len(faces), attested_own_likeness)
    evidence = [*metadata_evidence, *_feature_evidence(contributions, photo_side=probability >= REVIEW_AT)]
    signals = {
        "features": features,
        "contributions": {name: round(value, 3) for name, value in contributions.items()},
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
        reasons=explain(decision, probability, len(faces), attested_own_likeness, evidence),
        signals=signals,
    )


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


def _feature_evidence(contributions: dict[str, float], *, photo_side: bool, limit: int = 3) -> list[str]:
    """The strongest statistics pointing the way the verdict went, in plain words."""
    sign = 1.0 if photo_side else -1.0
    ranked = sorted(contributions.items(), key=lambda item: item[1] * sign, reverse=True)
    phrases: list[str] = []
    for name, value in ranked:
        if value * sign <= 0.25 or len(phrases) == limit:
            break
        phrase = FEATURE_PHRASES.get(name, (name, name))[0 if photo_side else 1]
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


def explain(decision: str, probability: float, faces: int, attested: bool, evidence: list[str]) -> list[str]:
    """Reasons a creator can act on."""
    because = f" ({'; '.join(evidence)})" if evidence else ""
    percent = f"{probability:.0%}"
    if faces == 0:
        return ["No face was found, so there is no real person to protect (and the animator needs a visible, front-facing face)."]
    if decision == "allow":
        return [f"This looks drawn, painted or rendered rather than photographed{because}; photo likelihood {percent}."]
    if decision == "block":
        return [
            f"This looks like a photograph of a real person{because}; photo likelihood {percent}.",
            "Marionette animates drawn, painted, rendered and animal characters, not photos of real people: upload an illustration instead.",
            "If this is a photo of you, tick 'this is my own likeness' and a moderator will review it.",
        ]
    if attested and probability >= BLOCK_AT:
        return [
            f"This looks like a photograph of a real person{because}; photo likelihood {percent}.",
            "You said it is your own likeness, so a moderator will check it before it can be animated.",
        ]
    return [
        f"We can't tell whether this is a photograph or a realistic illustration{because}; photo likelihood {percent}.",
        "A moderator will look at it before it can be animated; a clearly drawn or rendered portrait is approved right away.",
    ]
