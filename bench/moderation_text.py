"""Benchmark for moderation.text on the labelled evaluation set, against alt-profanity-check alone.

    python -m bench.moderation_text        # prints one JSON object

One CPU thread; models are loaded (and timed) before any line is measured, then each line goes
through classify() on its own, as a request would.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import torch

from bench import harness
from moderation.text import encoders
from moderation.text.classify import CATEGORIES, classify

EVAL_PATH = harness.ROOT / "evals" / "data" / "text_eval.jsonl"
HELDOUT_PATH = harness.ROOT / "evals" / "data" / "text_heldout.jsonl"
WARM_UP_LINES = [
    "Warm-up line about a quiet afternoon in the park.",
    "The captain ordered the crew to raise the sails.",
    "You are such a clown, lol, see you tomorrow.",
    "She lit a candle and read until midnight.",
]


def load_rows(path: Path) -> list[dict]:
    """The labelled lines of a JSONL evaluation file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def quality(rows: list[dict], verdicts: list) -> dict:
    """Per-category precision/recall, benign false-block/false-review rates and decision accuracy."""
    per_category = {}
    for category in CATEGORIES:
        tp = sum(1 for r, v in zip(rows, verdicts, strict=True) if category in r["labels"] and category in v.categories)
        fp = sum(1 for r, v in zip(rows, verdicts, strict=True) if category not in r["labels"] and category in v.categories)
        fn = sum(1 for r, v in zip(rows, verdicts, strict=True) if category in r["labels"] and category not in v.categories)
        per_category[category] = {
            "support": tp + fn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        }
    benign = [v for r, v in zip(rows, verdicts, strict=True) if not r["labels"]]
    harmful = [v for r, v in zip(rows, verdicts, strict=True) if r["labels"]]
    return {
        "lines": len(rows),
        "benign_lines": len(benign),
        "per_category": per_category,
        "benign_false_block_rate": round(sum(v.decision == "block" for v in benign) / len(benign), 4),
        "benign_false_review_rate": round(sum(v.decision == "review" for v in benign) / len(benign), 4),
        "harmful_flagged_rate": round(sum(v.decision != "allow" for v in harmful) / len(harmful), 4),
        "decision_accuracy": round(sum(v.decision == r["expected"] for r, v in zip(rows, verdicts, strict=True)) / len(rows), 4),
    }


def timed_classify(rows: list[dict]) -> tuple[list, list[float]]:
    """Verdicts and per-line latencies (ms), one line at a time."""
    verdicts, latencies = [], []
    for row in rows:
        verdict, seconds = harness.timed(classify, row["text"])
        verdicts.append(verdict)
        latencies.append(seconds * 1000)
    return verdicts, latencies


def baseline(rows: list[dict]) -> dict:
    """alt-profanity-check alone: predict_prob > 0.5 means block."""
    from profanity_check import predict_prob

    predict_prob(["warm up"])
    flags, latencies = [], []
    for row in rows:
        probabilities, seconds = harness.timed(predict_prob, [row["text"]])
        flags.append(float(probabilities[0]) > 0.5)
        latencies.append(seconds * 1000)
    benign = [f for r, f in zip(rows, flags, strict=True) if not r["labels"]]
    harmful = [f for r, f in zip(rows, flags, strict=True) if r["labels"]]
    return {
        "benign_false_block_rate": round(sum(benign) / len(benign), 4),
        "recall_harmful_lines": round(sum(harmful) / len(harmful), 4),
        "decision_accuracy": round(
            sum(("block" if f else "allow") == r["expected"] for r, f in zip(rows, flags, strict=True)) / len(rows), 4
        ),
        "median_latency_ms": round(statistics.median(latencies), 3),
        "p99_latency_ms": round(harness.percentile(latencies, 0.99), 3),
    }


def count_encoder_calls() -> list[int]:
    """Wrap the encoder so the bench can report how many lines needed the embedding."""
    encoder = encoders.sentence_encoder()
    calls = [0]
    original = encoder.encode

    def counted(texts: list[str]) -> np.ndarray:
        calls[0] += 1
        return original(texts)

    encoder.encode = counted
    return calls


def main() -> None:
    """Load and warm the models, then measure the development set, the baseline and the held-out set."""
    harness.parser(__doc__).parse_args()
    torch.set_num_threads(1)
    _, load_seconds = harness.timed(encoders.warm_up)
    for line in WARM_UP_LINES:
        classify(line)
    calls = count_encoder_calls()
    rows = load_rows(EVAL_PATH)
    verdicts, latencies = timed_classify(rows)
    report = {
        "eval_set": str(EVAL_PATH.relative_to(harness.ROOT)),
        "eval_note": "development set: rules and thresholds were tuned on it (it includes two folded-in earlier held-out rounds)",
        "load_seconds": round(load_seconds, 2),
        "median_latency_ms": round(statistics.median(latencies), 3),
        "p99_latency_ms": round(harness.percentile(latencies, 0.99), 3),
        "embedding_share": round(calls[0] / len(rows), 4),
        **quality(rows, verdicts),
        "baseline_profanity_check": baseline(rows),
    }
    if HELDOUT_PATH.exists():
        held_rows = load_rows(HELDOUT_PATH)
        held = quality(held_rows, [classify(row["text"]) for row in held_rows])
        report["heldout"] = {"note": "written after all tuning and never used to tune"}
        report["heldout"] |= {key: held[key] for key in held if key != "per_category"} | {
            "recall": {c: m["recall"] for c, m in held["per_category"].items() if m["support"]}
        }
    per_category = report["per_category"]
    report["targets_met"] = {
        "sexual/minors_recall>=0.95": (per_category["sexual/minors"]["recall"] or 0) >= 0.95,
        "self-harm/intent_recall>=0.95": (per_category["self-harm/intent"]["recall"] or 0) >= 0.95,
        "benign_false_block_rate<=0.03": report["benign_false_block_rate"] <= 0.03,
        "median_latency_ms<=5": report["median_latency_ms"] <= 5,
    }
    harness.emit(report)


if __name__ == "__main__":
    main()
