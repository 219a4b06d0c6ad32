"""The clip queue's order and its time estimates, as plain functions of the queue's state (no database, no framework).

Fair order, by least service: a waiting job's rank is how many jobs its owner already had started
lately plus how many of theirs wait before it, and lower ranks go first; ties go to the earlier
request. So every user's first waiting job comes before anyone's second, a creator who came late
goes before one whose burst has been served for a while (ordering rounds by request time instead
would let an early burst cut in front of every newcomer, round after round), and within one
creator's jobs the order of the requests holds.

Estimates: each worker slot runs jobs one after another, taking the typical length of a recent
job; the queue is played forward in its fair order to see when each job gets a slot.
"""

import heapq
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Waiting:
    """A queued job as the scheduler sees it."""

    job_id: Hashable
    owner_id: Hashable
    requested_at: datetime


@dataclass(frozen=True)
class Estimate:
    position: int  # 1 for the job that starts next
    start: datetime
    finish: datetime


def fair_order(waiting: Iterable[Waiting], served_owners: Iterable[Hashable] = ()) -> list[Waiting]:
    """The order in which workers take the waiting jobs; served_owners: the owner of each job started lately."""
    served = Counter(served_owners)
    seen: Counter = Counter()
    keyed = []
    for index, job in enumerate(sorted(waiting, key=lambda job: job.requested_at)):
        keyed.append((served[job.owner_id] + seen[job.owner_id], index, job))
        seen[job.owner_id] += 1
    return [job for _, _, job in sorted(keyed, key=lambda item: item[:2])]


def estimate(
    order: Sequence[Waiting],
    *,
    now: datetime,
    running_elapsed: Sequence[float],
    job_seconds: float,
    slots: int,
) -> dict[Hashable, Estimate]:
    """When each job in `order` should start and finish.

    running_elapsed: how long each running job has run, in seconds; a job past the typical length
    is taken to finish any moment. slots: how many jobs run at once, at least the number running.
    """
    free_in = [max(0.0, job_seconds - elapsed) for elapsed in running_elapsed]
    free_in += [0.0] * max(0, max(1, slots) - len(free_in))
    heapq.heapify(free_in)
    estimates = {}
    for position, job in enumerate(order, start=1):
        start = heapq.heappop(free_in)
        heapq.heappush(free_in, start + job_seconds)
        estimates[job.job_id] = Estimate(
            position=position, start=now + timedelta(seconds=start), finish=now + timedelta(seconds=start + job_seconds)
        )
    return estimates


def seconds_until_below(depth: int, *, limit: int, job_seconds: float, slots: int) -> int:
    """How long until a queue `depth` deep is shorter than `limit`, for a Retry-After; at least a second."""
    excess = depth - limit + 1
    return max(1, round(excess * job_seconds / max(1, slots)))
