"""Benchmark the clip queue under a creators' burst: the fair order against first-in-first-out, in one run.

    python -m bench.queue       # prints one JSON object

A burst like a launch evening: 10 heavy creators arrive in the first 20 s and ask for 5 clips each
(the daily quota) at once; 40 light creators arrive over two minutes and ask for 1-2 clips each. Four worker slots run jobs of 30 s ± 20 %. Time is simulated
(so the bench takes seconds, not the burst's half hour), but every claim is the real one: jobs are
rows in a fresh SQLite database, and each free slot calls services.dispatch.claim_next_job (fair) or
takes the oldest waiting job (FIFO, what per-job broker messages give). The same arrivals and job
lengths go through both.

Reported per policy: wait from request to start (p50, p99), each creator's wait for their first
clip (p50, p99; what a newcomer feels), the light creators' first-clip wait, Jain's fairness index
over the creators' first-clip waits (1.0 when every creator waits alike for a first clip), how far the start time
estimated at request time was off (p50, p90; later arrivals can still go ahead, so it is a first
guess the job page then updates), jobs started more than once (must be 0), and the real time one
fair claim takes on the database, the announcement of the new places in line included.
"""

import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness

CREATORS_LIGHT, CREATORS_HEAVY = 40, 10
HEAVY_CLIPS = 5
ARRIVAL_WINDOW_SECONDS = 120
HEAVY_ARRIVAL_WINDOW_SECONDS = 20
SLOTS = 4
JOB_SECONDS = 30.0
SEED = 7
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(order=True)
class Request:
    at: float
    user: int


def burst(rng: random.Random) -> list[Request]:
    """Each creator's clips, asked for within a few seconds of their arrival."""
    requests = []
    for user in range(CREATORS_LIGHT + CREATORS_HEAVY):
        heavy = user >= CREATORS_LIGHT
        arrival = rng.uniform(0, HEAVY_ARRIVAL_WINDOW_SECONDS if heavy else ARRIVAL_WINDOW_SECONDS)
        for clip in range(HEAVY_CLIPS if heavy else rng.choice((1, 2))):
            requests.append(Request(at=arrival + clip * rng.uniform(0.5, 3), user=user))
    return sorted(requests)


@dataclass
class Run:
    waits: dict[Any, float] = field(default_factory=dict)
    requested: dict[Any, Request] = field(default_factory=dict)
    estimate_errors: list[float] = field(default_factory=list)
    starts: dict[Any, int] = field(default_factory=dict)
    claim_seconds: list[float] = field(default_factory=list)


@dataclass
class Slot:
    """One worker slot: idle, or running a job from `started` until `free_at`."""

    job_id: Any = None
    started: float = 0.0
    free_at: float = 0.0


def simulate(policy: str, requests: list[Request], lengths: list[float], users: list, character) -> Run:
    """Play the burst against the database in time order: an arrival inserts a job, a finish frees a slot to claim one."""
    from generation import queueing, selectors
    from generation.models import GenerationJob, JobStatus
    from generation.services import dispatch

    GenerationJob.objects.all().delete()
    run = Run()
    slots = [Slot() for _ in range(SLOTS)]
    estimated_start: dict[Any, float] = {}
    pending = list(requests)
    lengths_left = iter(lengths)

    def claim(slot: Slot, now: float) -> None:
        started = time.perf_counter()
        if policy == "fair":
            job = dispatch.claim_next_job(task_id=f"ticket-{len(run.claim_seconds)}")
            job_id = None if job is None else job.pk
        else:
            job_id = selectors.waiting_jobs().order_by("created_at").values_list("pk", flat=True).first()
            if job_id is not None:
                GenerationJob.objects.filter(pk=job_id).update(status=JobStatus.RUNNING)
        run.claim_seconds.append(time.perf_counter() - started)
        slot.job_id = job_id
        if job_id is None:
            return
        slot.started, slot.free_at = now, now + next(lengths_left)
        run.starts[job_id] = run.starts.get(job_id, 0) + 1
        run.waits[job_id] = now - run.requested[job_id].at
        run.estimate_errors.append(abs(estimated_start[job_id] - now))

    def arrive(request: Request) -> None:
        job = GenerationJob.objects.create(owner=users[request.user], character=character, script="Hi.")
        GenerationJob.objects.filter(pk=job.pk).update(created_at=T0 + timedelta(seconds=request.at))
        run.requested[job.pk] = request
        elapsed = [request.at - slot.started for slot in slots if slot.job_id is not None]
        guess = queueing.estimate(
            selectors.queue_order(),
            now=T0 + timedelta(seconds=request.at),
            running_elapsed=elapsed,
            job_seconds=JOB_SECONDS,
            slots=SLOTS,
        )
        estimated_start[job.pk] = (guess[job.pk].start - T0).total_seconds()
        idle = next((slot for slot in slots if slot.job_id is None), None)
        if idle is not None:
            claim(idle, request.at)

    while True:
        busy = [slot for slot in slots if slot.job_id is not None]
        finishing = min(busy, key=lambda slot: slot.free_at, default=None)
        if pending and (finishing is None or pending[0].at < finishing.free_at):
            arrive(pending.pop(0))
        elif finishing is not None:
            GenerationJob.objects.filter(pk=finishing.job_id).update(status=JobStatus.SUCCEEDED)
            claim(finishing, finishing.free_at)
        else:
            return run


def jain(values: list[float]) -> float:
    """Jain's index of the creators' waits (offset by one job length so an instant start counts too)."""
    shifted = [value + JOB_SECONDS for value in values]
    return sum(shifted) ** 2 / (len(shifted) * sum(value * value for value in shifted))


def summary(run: Run) -> dict[str, Any]:
    by_user: dict[int, list[tuple[float, float]]] = {}
    for job_id, wait in run.waits.items():
        request = run.requested[job_id]
        by_user.setdefault(request.user, []).append((request.at, wait))
    first = {user: min(entries)[1] for user, entries in by_user.items()}
    light_first = [wait for user, wait in first.items() if user < CREATORS_LIGHT]
    report = {
        "jobs": len(run.waits),
        "wait_p50_s": round(harness.percentile(run.waits.values(), 0.5), 1),
        "wait_p99_s": round(harness.percentile(run.waits.values(), 0.99), 1),
        "first_clip_wait_p50_s": round(harness.percentile(first.values(), 0.5), 1),
        "first_clip_wait_p99_s": round(harness.percentile(first.values(), 0.99), 1),
        "light_creators_first_clip_wait_p50_s": round(harness.percentile(light_first, 0.5), 1),
        "light_creators_first_clip_wait_p99_s": round(harness.percentile(light_first, 0.99), 1),
        "jain_fairness_index": round(jain(list(first.values())), 3),
        "estimate_error_p50_s": round(harness.percentile(run.estimate_errors, 0.5), 1),
        "estimate_error_p90_s": round(harness.percentile(run.estimate_errors, 0.9), 1),
        "jobs_started_twice": sum(count > 1 for count in run.starts.values()),
    }
    report["claim_ms_p50"] = round(1000 * harness.percentile(run.claim_seconds, 0.5), 2)
    report["claim_ms_p99"] = round(1000 * harness.percentile(run.claim_seconds, 0.99), 2)
    return report


def main() -> None:
    harness.parser(__doc__).parse_args()
    from bench.feed import redis_for_bench
    from config.embedded import stop

    workdir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    redis_url, redis_process, redis_dir = redis_for_bench()
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=f"sqlite:///{workdir / 'queue.sqlite3'}",
            REDIS_URL=redis_url,
            DEBUG="false",
            LOG_LEVEL="WARNING",
        )
        os.environ.setdefault("SECRET_KEY", "bench-queue-not-secret")
        import django

        django.setup()
        from django.core.management import call_command

        from accounts.models import User
        from characters.models import Character

        call_command("migrate", verbosity=0)
        users = [User.objects.create(username=f"creator{n}") for n in range(CREATORS_LIGHT + CREATORS_HEAVY)]
        character = Character.objects.create(owner=users[0], name="Bench", slug="bench")
        rng = random.Random(SEED)
        requests = burst(rng)
        lengths = [JOB_SECONDS * rng.uniform(0.8, 1.2) for _ in requests]
        report = {
            "scenario": {
                "creators": CREATORS_LIGHT + CREATORS_HEAVY,
                "heavy_creators": CREATORS_HEAVY,
                "clips": len(requests),
                "worker_slots": SLOTS,
                "job_seconds": JOB_SECONDS,
                "arrival_window_s": ARRIVAL_WINDOW_SECONDS,
            },
            "fifo_baseline": summary(simulate("fifo", requests, lengths, users, character)),
            "fair": summary(simulate("fair", requests, lengths, users, character)),
        }
        harness.emit_rows(report)
    finally:
        if redis_process is not None:
            stop(redis_process)
            shutil.rmtree(redis_dir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
