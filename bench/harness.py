"""What every benchmark shares: the repository root, one percentile, one clock, and the JSON on stdout.

Standard library only, so a bench can import it before numpy or OpenCV start their thread pools.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

ROOT = Path(__file__).resolve().parent.parent

P = ParamSpec("P")
T = TypeVar("T")


def parser(doc: str | None) -> argparse.ArgumentParser:
    """Arguments with the bench's docstring as --help, so every bench can say what it does without running."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def percentile(values: Iterable[float], share: float) -> float:
    """Nearest-rank percentile, share in 0..1: always a value that was measured, so a p99 is one real request."""
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))])


class Stopwatch:
    """One clock (time.perf_counter) for every bench, running from when it is made; lap() splits a run into phases."""

    def __init__(self) -> None:
        self.started = self._lap_started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started

    def lap(self) -> float:
        """Seconds since the previous lap (or the start); the next lap starts now."""
        now = time.perf_counter()
        seconds, self._lap_started = now - self._lap_started, now
        return seconds


def timed(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T, float]:
    """The call's result and its wall time in seconds, for benches that time one call at a time."""
    watch = Stopwatch()
    result = call(*args, **kwargs)
    return result, watch.seconds()


def rate(count: int, seconds: float) -> float:
    """Items per second to one decimal (frames, requests): the throughput figures of every report."""
    return round(count / seconds, 1)


def emit(report: Mapping[str, Any], *, indent: int | None = 2) -> None:
    """The bench's result as JSON on stdout, where `make bench` collects it; indent=None gives one line."""
    print(json.dumps(report, indent=indent))


def emit_rows(report: Mapping[str, Any]) -> None:
    """Like emit, but each top-level object's entries one to a line, so a comparison table reads as a table."""
    lines = []
    for key, value in report.items():
        if isinstance(value, Mapping):
            rows = ",\n".join(f"    {json.dumps(name)}: {json.dumps(item)}" for name, item in value.items())
            lines.append(f"  {json.dumps(key)}: {{\n{rows}\n  }}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    print("{\n" + ",\n".join(lines) + "\n}")
