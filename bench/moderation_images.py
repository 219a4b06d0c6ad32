"""Measure the portrait photo check and the likeness matcher on evals/data/portraits/.

    python bench/moderation_images.py              # evaluate; prints JSON
    python -m training.portrait_model        # refit moderation/images/portrait_model.json
    python bench/moderation_images.py --build-set  # regenerate the evaluation set and its README table
    python bench/moderation_images.py --likeness-dir DIR   # also: distances between PERSON_*.jpg files in DIR

The shipped model is fitted on the shipped set, so the in-sample figures flatter it; the
leave-one-source-out figures (each source photo or drawing family held out in turn, model
refitted without it) are the honest ones. Both are printed. The shared SillyTavern cards are
never fitted on: they are the only drawings not made by this project.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.portraits import EVAL_DIR, SOURCE_PHOTOS, Sample, build, load_samples  # noqa: E402
from moderation.images import portrait as images  # noqa: E402
from moderation.images.faces import detect_faces  # noqa: E402
from moderation.images.features import image_features  # noqa: E402
from moderation.images.upload import load_upload  # noqa: E402

# Every feature with the direction in which it may push towards "photograph": the fit is
# constrained to these signs so that each contribution reads the way its phrase says (an
# unconstrained fit on 118 correlated samples flips some of them, e.g. more noise → "drawing").
MODEL_FEATURES: dict[str, int] = {
    "noise_sigma": 1,
    "noise_floor": 1,
    "flat_share": -1,
    "residual_kurtosis": -1,
    "soft_gradient_share": 1,
    "strong_edge_share": -1,
    "distinct_colours": 1,
    "top_colour_share": -1,
    "saturation_mean": -1,
    "grey_share": 1,
    "spectral_slope": -1,
    "face_noise_sigma": 1,
    "face_noise_floor": 1,
    "face_flat_share": -1,
    "face_residual_kurtosis": -1,
    "face_soft_gradient_share": 1,
    "face_strong_edge_share": -1,
}
# Inverse L2 strength. Leave-one-source-out accuracy was flat for C in 0.3..10; the smallest keeps
# the most features in play, so no single statistic decides alone.
REGULARIZATION_C = 0.3


# --- features and fitting ---------------------------------------------------------------------------


def sample_features(samples: list[Sample]) -> tuple[np.ndarray, list[int]]:
    """Feature matrix (MODEL_FEATURES order; NaN = undefined, i.e. face statistics without a face) and face counts."""
    rows, faces = [], []
    for sample in samples:
        upload = load_upload(sample.read())
        found = detect_faces(upload.rgb)
        features = image_features(upload.rgb, found)
        rows.append([np.nan if features[name] is None else features[name] for name in MODEL_FEATURES])
        faces.append(len(found))
    return np.array(rows), faces


def fit_logistic(x: np.ndarray, y: np.ndarray) -> dict:
    """Standardize, then sign-constrained L2 logistic regression (L-BFGS-B); plain numbers for the JSON file."""
    from scipy.optimize import minimize

    mean = np.nanmean(x, axis=0)
    x = np.where(np.isnan(x), mean, x)  # undefined → average, exactly as PhotoModel.contributions treats it
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    z = (x - mean) / scale
    target = y.astype(float)
    dims = z.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logits = z @ w[:dims] + w[dims]
        residual = 1.0 / (1.0 + np.exp(-logits)) - target
        value = float(np.sum(np.logaddexp(0.0, logits) - target * logits) + 0.5 / REGULARIZATION_C * np.sum(w[:dims] ** 2))
        return value, np.r_[z.T @ residual + w[:dims] / REGULARIZATION_C, residual.sum()]

    bounds = [(0.0, None) if sign > 0 else (None, 0.0) for sign in MODEL_FEATURES.values()] + [(None, None)]
    weights = minimize(loss, np.zeros(dims + 1), jac=True, method="L-BFGS-B", bounds=bounds).x
    return {
        "features": list(MODEL_FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in weights[:dims]],
        "intercept": round(float(weights[dims]), 6),
    }


def predict(params: dict, x: np.ndarray) -> np.ndarray:
    mean = np.array(params["mean"])
    x = np.where(np.isnan(x), mean, x)
    z = ((x - mean) / np.array(params["scale"])) @ np.array(params["coef"]) + params["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def fit(out: Path = images.MODEL_PATH) -> dict:
    """Fit on the shipped set (not the shared cards) and write the model file."""
    samples = load_samples(include_shared=False)
    x, _ = sample_features(samples)
    y = np.array([sample.label == "photo" for sample in samples])
    params = fit_logistic(x, y)
    params["about"] = (
        "Logistic regression of moderation/images/portrait.py, fitted by `python -m training.portrait_model` "
        f"on {int(y.sum())} photographs and {int((~y).sum())} drawings of evals/data/portraits/ (C={REGULARIZATION_C}, "
        "coefficient signs constrained to the directions in bench/moderation_images.py MODEL_FEATURES)."
    )
    out.write_text(json.dumps(params, indent=1) + "\n")
    images.load_model.cache_clear()
    return params


def cross_validated(samples: list[Sample], x: np.ndarray) -> np.ndarray:
    """Photo probabilities with each group (source photo / drawing family) predicted by a model fitted without it."""
    y = np.array([sample.label == "photo" for sample in samples])
    groups = np.array([sample.group for sample in samples])
    fitted = np.array([sample.group != "shared_cards" for sample in samples])
    probabilities = np.zeros(len(samples))
    for group in sorted(set(groups)):
        held_out = groups == group
        params = fit_logistic(x[fitted & ~held_out], y[fitted & ~held_out])
        probabilities[held_out] = predict(params, x[held_out])
    return probabilities


# --- metrics ---------------------------------------------------------------------------------------------


def photo_metrics(labels: list[bool], predicted: list[bool]) -> dict:
    """Accuracy, precision and recall of "is a photograph", with the confusion matrix."""
    tp = sum(1 for truth, guess in zip(labels, predicted, strict=True) if truth and guess)
    fp = sum(1 for truth, guess in zip(labels, predicted, strict=True) if not truth and guess)
    fn = sum(1 for truth, guess in zip(labels, predicted, strict=True) if truth and not guess)
    tn = len(labels) - tp - fp - fn
    return {
        "accuracy": round((tp + tn) / len(labels), 3),
        "precision_photo": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall_photo": round(tp / (tp + fn), 3) if tp + fn else None,
        "confusion": {"photo_as_photo": tp, "photo_as_drawn": fn, "drawn_as_photo": fp, "drawn_as_drawn": tn},
    }


def decision_metrics(samples: list[Sample], decisions: list[str]) -> dict:
    """How the allow/review/block decisions compare with what the policy asks for."""
    matrix: dict[str, Counter] = defaultdict(Counter)
    for sample, decision in zip(samples, decisions, strict=True):
        matrix[sample.expected][decision] += 1
    drawn = [decision for sample, decision in zip(samples, decisions, strict=True) if sample.label == "drawn"]
    people = [decision for sample, decision in zip(samples, decisions, strict=True) if sample.expected == "block"]
    return {
        "accuracy": round(sum(s.expected == d for s, d in zip(samples, decisions, strict=True)) / len(samples), 3),
        "real_person_photos_blocked": round(people.count("block") / len(people), 3),
        "real_person_photos_blocked_or_reviewed": round((people.count("block") + people.count("review")) / len(people), 3),
        "false_block_rate_drawn": round(drawn.count("block") / len(drawn), 3),
        "review_rate_drawn": round(drawn.count("review") / len(drawn), 3),
        "confusion": {f"expected_{expected}": dict(sorted(row.items())) for expected, row in sorted(matrix.items())},
    }


def haar_baseline(samples: list[Sample]) -> list[str]:
    """The naive rule: block whenever OpenCV's Haar frontal-face cascade sees a face."""
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    decisions = []
    for sample in samples:
        gray = cv2.cvtColor(load_upload(sample.read()).rgb, cv2.COLOR_RGB2GRAY)
        found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
        decisions.append("block" if len(found) else "allow")
    return decisions


def exif_effect(sample: Sample) -> dict:
    """The same photo with and without a camera's EXIF, to show the metadata prior at work."""
    from PIL import Image

    image = Image.open(io.BytesIO(sample.read())).convert("RGB")
    plain, tagged = io.BytesIO(), io.BytesIO()
    image.save(plain, "JPEG", quality=90)
    exif = Image.Exif()
    exif[271], exif[272] = "Canon", "Canon EOS 80D"
    image.save(tagged, "JPEG", quality=90, exif=exif.tobytes())
    before = images.check_portrait(plain.getvalue())
    after = images.check_portrait(tagged.getvalue())
    return {
        "file": sample.file,
        "without_exif": before.photo_probability,
        "with_canon_exif": after.photo_probability,
        "reasons_with_exif": after.reasons,
    }


# --- likeness ----------------------------------------------------------------------------------------------


def likeness_distances(samples: list[Sample]) -> dict:
    """Embedding distances between augmentations of one person and between different people."""
    from moderation.images.likeness import face_embeddings

    embeddings = {}
    for sample in samples:
        if sample.label == "photo" and sample.person:
            found = face_embeddings(sample.read())
            if found:
                embeddings[sample.file] = (sample.group, found[0])
    return _distance_summary(embeddings, note="same person = augmentations of ONE photo (a weak substitute for two photos)")


def likeness_dir(directory: Path) -> dict:
    """Distances between real different photos: files named PERSON_anything.jpg/png in a directory."""
    from moderation.images.likeness import face_embeddings

    embeddings = {}
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
            found = face_embeddings(path.read_bytes())
            if found:
                embeddings[path.name] = (path.stem.split("_")[0], found[0])
    summary = _distance_summary(embeddings, note=f"photos in {directory}")
    names = list(embeddings)
    summary["pairs"] = {
        f"{a} vs {b}": round(float(np.linalg.norm(embeddings[a][1] - embeddings[b][1])), 3)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    }
    return summary


def _distance_summary(embeddings: dict, note: str) -> dict:
    names = list(embeddings)
    same, different = [], []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            distance = float(np.linalg.norm(embeddings[a][1] - embeddings[b][1]))
            (same if embeddings[a][0] == embeddings[b][0] else different).append(distance)

    def describe(values: list[float]) -> dict:
        if not values:
            return {"pairs": 0}
        return {
            "pairs": len(values),
            "min": round(min(values), 3),
            "median": round(statistics.median(values), 3),
            "max": round(max(values), 3),
            "share_under_0.6": round(sum(v < 0.6 for v in values) / len(values), 3),
        }

    return {"faces_embedded": len(names), "note": note, "same_person": describe(same), "different_people": describe(different)}


# --- the run ---------------------------------------------------------------------------------------------


def evaluate(likeness_directory: Path | None = None) -> dict:
    samples = load_samples()
    verdicts, latencies = [], []
    for sample in samples:
        data = sample.read()
        start = time.perf_counter()
        verdicts.append(images.check_portrait(data))
        latencies.append(time.perf_counter() - start)
    labels = [sample.label == "photo" for sample in samples]
    x, _ = sample_features(samples)
    cv_probabilities = cross_validated(samples, x)
    decisions = [verdict.decision for verdict in verdicts]
    cv_decisions = [images.decide(p, v.faces, False) for p, v in zip(cv_probabilities, verdicts, strict=True)]
    shared = [(s, v) for s, v in zip(samples, verdicts, strict=True) if s.group == "shared_cards"]
    result = {
        "set": {
            "images": len(samples),
            "photos": sum(labels),
            "photos_of_people": sum(s.expected == "block" for s in samples),
            "photo_sources": len(SOURCE_PHOTOS),
            "drawn": len(samples) - sum(labels),
            "groups": dict(Counter(s.group for s in samples)),
        },
        "photo_classifier_in_sample": photo_metrics(labels, [v.photo_probability >= images.BLOCK_AT for v in verdicts]),
        "photo_classifier_leave_one_source_out": photo_metrics(labels, [p >= images.BLOCK_AT for p in cv_probabilities]),
        "decisions_in_sample": decision_metrics(samples, decisions),
        "decisions_leave_one_source_out": decision_metrics(samples, cv_decisions),
        "baseline_haar_face_blocks": decision_metrics(samples, haar_baseline(samples)),
        "baseline_exif_only": decision_metrics(samples, ["allow"] * len(samples))
        | {"note": "no image in the set carries camera EXIF"},
        "wrong_decisions_leave_one_source_out": [
            f"{Path(s.file).name}: expected {s.expected}, got {d} (p={p:.2f}, faces={v.faces})"
            for s, d, p, v in zip(samples, cv_decisions, cv_probabilities, verdicts, strict=True)
            if d != s.expected
        ],
        "shared_cards": {
            Path(s.file).name: {"decision": v.decision, "photo_probability": v.photo_probability, "faces": v.faces}
            for s, v in shared
        },
        "latency_s": {
            "median": round(statistics.median(latencies), 3),
            "p90": round(float(np.percentile(latencies, 90)), 3),
            "max": round(max(latencies), 3),
        },
        "exif_effect": exif_effect(next(s for s in samples if s.group == "hopper")),
        "likeness": likeness_distances(samples),
    }
    if likeness_directory:
        result["likeness_extra"] = likeness_dir(likeness_directory)
    return result


def write_readme_table(samples: list[Sample]) -> None:
    """Refresh the per-file table between the markers of evals/data/portraits/README.md."""
    readme = EVAL_DIR / "README.md"
    start, end = "<!-- files:start -->", "<!-- files:end -->"
    lines = ["| file | label | expected | source | licence | transform |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {s.file} | {s.label} | {s.expected} | {s.source} | {s.licence} | {s.transform} |" for s in samples]
    text = readme.read_text() if readme.exists() else f"{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    readme.write_text(f"{head}{start}\n" + "\n".join(lines) + f"\n{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", action="store_true", help="refit and write moderation/images/portrait_model.json")
    parser.add_argument("--build-set", action="store_true", help="regenerate the evaluation set and README table")
    parser.add_argument("--likeness-dir", type=Path, help="extra photos named PERSON_*.jpg for same/different-person distances")
    args = parser.parse_args()
    if args.build_set:
        samples = build()
        write_readme_table(samples)
        print(json.dumps({"built": len(samples)}))
        return
    if args.fit:
        params = fit()
        print(
            json.dumps({"fitted": params["about"], "coef": dict(zip(params["features"], params["coef"], strict=True))}, indent=1)
        )
        return
    print(json.dumps(evaluate(args.likeness_dir), indent=1))


if __name__ == "__main__":
    main()
