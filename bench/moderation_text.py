"""Benchmark for moderation.text on its held-out sets, against two baselines measured in the same run.

    python -m bench.moderation_text        # prints one JSON object

Sets: text_generalization.jsonl (1,209 lines written before the classifier was trained, never used to fit or tune
anything: the figure that counts), text_heldout.jsonl (an earlier held-out round) and text_eval.jsonl (the development
set: the rules were tuned on it and the classifier is trained on it, so its figures are in-sample).
Baselines: alt-profanity-check alone (block when p > 0.5), and the platform's rules without the trained classifier.
One CPU thread; models are loaded (and timed) first, then each line goes through classify() on its own, as a request.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import torch

from bench import harness
from moderation.text import encoders
from moderation.text.classify import CATEGORIES, TextVerdict, classify

DATA = harness.ROOT / "evals" / "data"
GENERALIZATION_PATH = DATA / "text_generalization.jsonl"
HELDOUT_PATH = DATA / "text_heldout.jsonl"
EVAL_PATH = DATA / "text_eval.jsonl"
WARM_UP_LINES = [
    "Warm-up line about a quiet afternoon in the park.",
    "The captain ordered the crew to raise the sails.",
    "You are such a clown, lol, see you tomorrow.",
    "She lit a candle and read until midnight.",
]
TARGETS = {
    "harmful_recall": 0.97,
    "sexual/minors_recall": 1.0,
    "self-harm/intent_recall": 1.0,
    "benign_false_block_rate": 0.01,
    "benign_false_review_rate": 0.03,
    "median_latency_ms": 10.0,
    "p99_latency_ms": 50.0,
}


def load_rows(path: Path) -> list[dict]:
    """The labelled lines of a JSONL evaluation file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def confusion(rows: list[dict], decisions: list[str], named: list[list[str]]) -> dict:
    """Per category: how its lines were decided, whether the category was named, and how often it was named wrongly."""
    out = {}
    for category in CATEGORIES:
        labelled = [(d, n) for r, d, n in zip(rows, decisions, named, strict=True) if category in r["labels"]]
        wrongly = sum(category in n for r, n in zip(rows, named, strict=True) if category not in r["labels"])
        if not labelled:
            continue
        out[category] = {
            "support": len(labelled),
            "blocked": sum(d == "block" for d, _ in labelled),
            "reviewed": sum(d == "review" for d, _ in labelled),
            "allowed": sum(d == "allow" for d, _ in labelled),
            "recall_not_allowed": round(sum(d != "allow" for d, _ in labelled) / len(labelled), 4),
            "named": sum(category in n for _, n in labelled),
            "named_on_other_lines": wrongly,
        }
    return out


def quality(rows: list[dict], decisions: list[str], named: list[list[str]] | None = None) -> dict:
    """Harmful recall (anything but allow), benign false blocks and reviews, and the per-category confusion."""
    harmful = [d for r, d in zip(rows, decisions, strict=True) if r["labels"]]
    benign = [d for r, d in zip(rows, decisions, strict=True) if not r["labels"]]
    report = {
        "lines": len(rows),
        "harmful_lines": len(harmful),
        "benign_lines": len(benign),
        "harmful_recall": round(sum(d != "allow" for d in harmful) / len(harmful), 4),
        "benign_false_block_rate": round(sum(d == "block" for d in benign) / len(benign), 4),
        "benign_false_review_rate": round(sum(d == "review" for d in benign) / len(benign), 4),
    }
    if named is not None:
        report["per_category"] = confusion(rows, decisions, named)
    return report


def measured(rows: list[dict], *, use_learned: bool = True) -> tuple[list[TextVerdict], list[float]]:
    """Verdicts and per-line latencies (ms), one line at a time."""
    verdicts, latencies = [], []
    for row in rows:
        verdict, seconds = harness.timed(classify, row["text"], use_learned=use_learned)
        verdicts.append(verdict)
        latencies.append(seconds * 1000)
    return verdicts, latencies


def latency(latencies: list[float]) -> dict:
    """Median and p99 in ms."""
    return {
        "median_latency_ms": round(statistics.median(latencies), 3),
        "p99_latency_ms": round(harness.percentile(latencies, 0.99), 3),
    }


def platform(rows: list[dict], *, use_learned: bool = True) -> dict:
    """The classifier's figures on one set."""
    verdicts, latencies = measured(rows, use_learned=use_learned)
    decisions = [v.decision for v in verdicts]
    return quality(rows, decisions, [v.categories for v in verdicts]) | latency(latencies)


def profanity_baseline(rows: list[dict]) -> dict:
    """alt-profanity-check alone: predict_prob > 0.5 means block."""
    from profanity_check import predict_prob

    predict_prob(["warm up"])
    decisions, latencies = [], []
    for row in rows:
        probabilities, seconds = harness.timed(predict_prob, [row["text"]])
        decisions.append("block" if float(probabilities[0]) > 0.5 else "allow")
        latencies.append(seconds * 1000)
    return quality(rows, decisions) | latency(latencies)


def targets_met(report: dict) -> dict[str, bool]:
    """Each target of the held-out set, met or not."""
    recall = {c: m["recall_not_allowed"] for c, m in report["per_category"].items()}
    values = {
        "harmful_recall": report["harmful_recall"],
        "sexual/minors_recall": recall["sexual/minors"],
        "self-harm/intent_recall": recall["self-harm/intent"],
    }
    met = {f"{name}>={goal}": values[name] >= goal for name, goal in TARGETS.items() if name in values}
    met |= {f"{name}<={goal}": report[name] <= goal for name, goal in TARGETS.items() if name not in values}
    return met


def main() -> None:
    """Load and warm the models, then measure every set with and without the trained classifier."""
    harness.parser(__doc__).parse_args()
    torch.set_num_threads(1)
    _, load_seconds = harness.timed(encoders.warm_up)
    for line in WARM_UP_LINES:
        classify(line)
    generalization = load_rows(GENERALIZATION_PATH)
    report = {
        "load_seconds": round(load_seconds, 2),
        "generalization": platform(generalization),
        "generalization_rules_only": platform(generalization, use_learned=False),
        "generalization_profanity_check": profanity_baseline(generalization),
        "heldout": platform(load_rows(HELDOUT_PATH)),
        "development_in_sample": platform(load_rows(EVAL_PATH)),
    }
    report["targets"] = TARGETS
    report["targets_met"] = targets_met(report["generalization"])
    harness.emit(report)


if __name__ == "__main__":
    main()
