"""Measure the portrait photo check and the likeness matcher on evals/data/portraits/.

    python -m bench.moderation_images                      # evaluate; prints JSON
    python -m bench.moderation_images --build-set          # regenerate the evaluation set and its README table
    python -m bench.moderation_images --likeness-dir DIR   # also: distances between PERSON_*.jpg files in DIR

The shipped model is fitted on the shipped set (`python -m training.portrait_model`), so the in-sample
figures flatter it; the leave-one-source-out figures (each source photo or drawing family held out in
turn, model refitted without it) are the honest ones. Both are printed. The shared SillyTavern cards
are never fitted on: they are the only drawings not made by this project.
"""

from __future__ import annotations

import io
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from bench import harness
from evals.portraits import EVAL_DIR, SOURCE_PHOTOS, Sample, build, load_samples
from moderation.images import portrait as images
from moderation.images.upload import load_upload
from training.portrait_model import fit_logistic, predict, sample_features


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


def timed_checks(samples: list[Sample]) -> tuple[list[images.ImageVerdict], list[float]]:
    """Verdicts and seconds per image, from the upload's bytes as a request brings them (read before the clock)."""
    verdicts, latencies = [], []
    for sample in samples:
        verdict, seconds = harness.timed(images.check_portrait, sample.read())
        verdicts.append(verdict)
        latencies.append(seconds)
    return verdicts, latencies


def latency_summary(latencies: list[float]) -> dict:
    """Seconds per upload: the median is the usual wait, p90 and max what the slowest images cost."""
    return {
        "median": round(statistics.median(latencies), 3),
        "p90": round(harness.percentile(latencies, 0.9), 3),
        "max": round(max(latencies), 3),
    }


def evaluate(likeness_directory: Path | None = None) -> dict:
    """Every figure of the report: in-sample and leave-one-source-out, the two baselines, latency, likeness."""
    samples = load_samples()
    verdicts, latencies = timed_checks(samples)
    labels = [sample.label == "photo" for sample in samples]
    cv_probabilities = cross_validated(samples, sample_features(samples))
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
        "latency_s": latency_summary(latencies),
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
    parser = harness.parser(__doc__)
    parser.add_argument("--build-set", action="store_true", help="regenerate the evaluation set and README table")
    parser.add_argument("--likeness-dir", type=Path, help="extra photos named PERSON_*.jpg for same/different-person distances")
    args = parser.parse_args()
    if args.build_set:
        samples = build()
        write_readme_table(samples)
        harness.emit({"built": len(samples)}, indent=None)
        return
    harness.emit(evaluate(args.likeness_dir), indent=1)


if __name__ == "__main__":
    main()
