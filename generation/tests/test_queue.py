"""The clip queue: fair order across users, places in line and times, admission limits, tickets claimed once."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from characters import selectors as character_selectors
from characters import services as character_services
from config.tests.conftest import run_together
from generation import queueing, selectors, services
from generation.models import GenerationJob, JobStatus
from generation.services import dispatch
from generation.tests.conftest import FAST_VOICE
from moderation.models import UsageCounter

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def waiting(job_id: str, owner: str, second: int) -> queueing.Waiting:
    return queueing.Waiting(job_id=job_id, owner_id=owner, requested_at=T0 + timedelta(seconds=second))


def ids(order: list[queueing.Waiting]) -> list:
    return [job.job_id for job in order]


# --- The order and the estimates, as plain functions.


def test_every_users_first_job_goes_before_anyones_second():
    burst = [waiting(f"heavy{n}", "heavy", n) for n in range(4)]
    late = [waiting("light", "light", 10), waiting("other1", "other", 11), waiting("other2", "other", 12)]
    assert ids(queueing.fair_order(burst + late)) == ["heavy0", "light", "other1", "heavy1", "other2", "heavy2", "heavy3"]


def test_a_user_served_lately_waits_behind_users_served_less():
    jobs = [waiting("served", "served", 0), waiting("newcomer", "newcomer", 5)]
    assert ids(queueing.fair_order(jobs, served_owners=["served"])) == ["newcomer", "served"]
    assert ids(queueing.fair_order(jobs)) == ["served", "newcomer"]


def test_an_early_burst_does_not_cut_in_front_of_a_newcomer_round_after_round():
    # The burst's first two clips ran already; its third is older than the newcomer's first, yet goes after it.
    jobs = [waiting("burst3", "burst", 2), waiting("newcomer", "newcomer", 60)]
    assert ids(queueing.fair_order(jobs, served_owners=["burst", "burst"])) == ["newcomer", "burst3"]


def test_estimates_play_the_queue_forward_on_every_slot():
    order = [waiting(f"j{n}", f"u{n}", n) for n in range(3)]
    estimates = queueing.estimate(order, now=T0, running_elapsed=[20.0], job_seconds=60, slots=2)
    # One slot is free now, the other frees in 40 s; the third job waits for the first slot again.
    assert [(e.position, (e.start - T0).total_seconds(), (e.finish - T0).total_seconds()) for e in estimates.values()] == [
        (1, 0, 60),
        (2, 40, 100),
        (3, 60, 120),
    ]
    overdue = queueing.estimate(order[:1], now=T0, running_elapsed=[500.0], job_seconds=60, slots=1)
    assert overdue["j0"].start == T0  # a job past the typical length may end any moment


def test_retry_after_grows_with_the_excess():
    assert queueing.seconds_until_below(200, limit=200, job_seconds=30, slots=1) == 30
    assert queueing.seconds_until_below(203, limit=200, job_seconds=30, slots=2) == 60


# --- The queue on the database.


def queued_job(owner, character, **fields) -> GenerationJob:
    return GenerationJob.objects.create(owner=owner, character=character, script="Hi.", task_id=f"request-{owner}", **fields)


@pytest.mark.django_db
def test_tickets_take_jobs_in_fair_order(owner, other_user, make_character):
    character = make_character()
    heavy = [queued_job(owner, character) for _ in range(3)]
    light = queued_job(other_user, character)
    direct = queued_job(other_user, character, direct=True)  # make_clip runs it itself

    claimed = [dispatch.claim_next_job(task_id=f"ticket-{n}") for n in range(5)]
    assert [job.pk if job else None for job in claimed] == [heavy[0].pk, light.pk, heavy[1].pk, heavy[2].pk, None]
    assert GenerationJob.objects.get(pk=direct.pk).status == JobStatus.QUEUED
    assert GenerationJob.objects.get(pk=heavy[1].pk).task_id == "ticket-2"


@pytest.mark.django_db
def test_a_redelivered_ticket_takes_back_its_own_job(owner, make_character):
    character = make_character()
    first, second = queued_job(owner, character), queued_job(owner, character)
    assert dispatch.claim_next_job(task_id="ticket-a").pk == first.pk
    # The worker died: the broker hands the same ticket to another worker, which resumes the same job.
    resumed = dispatch.claim_next_job(task_id="ticket-a")
    assert resumed.pk == first.pk and resumed.attempts == 2
    assert GenerationJob.objects.get(pk=second.pk).status == JobStatus.QUEUED


@pytest.mark.django_db(transaction=True)
def test_concurrent_tickets_start_every_job_exactly_once(make_user, make_character):
    character = make_character()
    users = [make_user(f"creator{n}") for n in range(4)]
    jobs = [queued_job(user, character) for user in users for _ in range(4)]

    claimed = run_together([lambda n=n: dispatch.claim_next_job(task_id=f"ticket-{n}") for n in range(len(jobs) + 4)])
    taken = [job.pk for job in claimed if job is not None]
    assert sorted(taken) == sorted(job.pk for job in jobs)  # each once; the four spare tickets found nothing
    assert set(GenerationJob.objects.values_list("status", "attempts")) == {(JobStatus.RUNNING, 1)}


@pytest.mark.django_db
def test_places_in_line_and_times_reach_the_api(owner, other_user, make_character, settings):
    settings.CLIP_JOB_SECONDS, settings.CLIP_WORKER_SLOTS = 60, 1
    character = make_character()
    mine = [queued_job(owner, character) for _ in range(2)]
    theirs = queued_job(other_user, character)
    client = APIClient()
    client.force_authenticate(owner)

    body = client.get(f"/api/clips/jobs/{mine[1].pk}/").json()
    assert body["queue"]["position"] == 3 and body["queue"]["ahead"] == 2  # behind mine[0] and the other user's first
    start = datetime.fromisoformat(body["queue"]["estimated_start"])
    finish = datetime.fromisoformat(body["queue"]["estimated_finish"])
    assert timedelta(seconds=110) < start - datetime.now(UTC) <= timedelta(seconds=120)
    assert finish - start == timedelta(seconds=60)
    assert body["label"].startswith("In the queue, 3rd in line, starting in about 2 min")
    listed = {job["id"]: job["queue"] for job in client.get("/api/clips/jobs/").json()["results"]}
    assert listed[str(mine[0].pk)]["position"] == 1 and listed[str(mine[1].pk)]["position"] == 3
    assert selectors.queue_estimates()[theirs.pk].position == 2

    dispatch.claim_next_job(task_id="ticket")
    assert client.get(f"/api/clips/jobs/{mine[0].pk}/").json()["queue"] is None  # running now
    assert client.get(f"/api/clips/jobs/{mine[1].pk}/").json()["queue"]["position"] == 2


@pytest.mark.django_db
def test_a_full_queue_refuses_with_503_and_retry_after_and_stores_nothing(owner, other_user, make_character, settings):
    settings.CLIP_QUEUE_MAX_DEPTH, settings.CLIP_JOB_SECONDS = 2, 45
    character = make_character(voice=FAST_VOICE)
    for _ in range(2):
        queued_job(other_user, character)
    client = APIClient()
    client.force_authenticate(owner)

    response = client.post("/api/clips/jobs/", {"character": character.slug, "script": "Hello."}, format="json")
    assert response.status_code == 503 and response["Retry-After"] == "45"
    assert response.json()["code"] == "queue_full" and "try again in a minute" in response.json()["detail"]
    assert not GenerationJob.objects.filter(owner=owner).exists()
    assert not UsageCounter.objects.filter(user=owner).exists()


@pytest.mark.django_db
def test_one_user_may_not_hold_more_than_the_per_user_share(owner, make_character, settings):
    settings.CLIP_QUEUE_MAX_PER_USER, settings.CLIP_DAILY_QUOTA = 2, 10
    character = make_character(voice=FAST_VOICE)
    queued_job(owner, character)
    queued_job(owner, character, status=JobStatus.RUNNING)
    client = APIClient()
    client.force_authenticate(owner)

    response = client.post("/api/clips/jobs/", {"character": character.slug, "script": "Hello."}, format="json")
    assert response.status_code == 429 and response.json()["code"] == "too_many_jobs" and int(response["Retry-After"]) >= 1
    assert GenerationJob.objects.filter(owner=owner).count() == 2


@pytest.mark.django_db
def test_the_clip_form_shows_a_full_queue(client, owner, make_character, settings):
    settings.CLIP_QUEUE_MAX_DEPTH = 0
    character = make_character(voice=FAST_VOICE)
    client.force_login(owner)
    page = client.post(f"/c/{character.slug}/clip/", {"script": "Hello.", "voice": FAST_VOICE})
    assert page.status_code == 200 and "the most the queue takes" in page.content.decode()
    assert not GenerationJob.objects.exists()


@pytest.mark.django_db
def test_the_sweep_leaves_a_moving_queue_alone(owner, make_character, settings):
    settings.CLIP_QUEUED_MAX_AGE_SECONDS = 600
    character = make_character()
    waiting_long = queued_job(owner, character)
    GenerationJob.objects.filter(pk=waiting_long.pk).update(created_at=T0)
    now = T0 + timedelta(hours=2)
    GenerationJob.objects.create(
        owner=owner, character=character, status=JobStatus.SUCCEEDED, started_at=now - timedelta(seconds=60)
    )
    assert services.sweep_lost_jobs(now=now) == services.SweepResult(requeued=0, failed=0)
    # Nothing started for longer than the limit: the queue has stalled, and the sweep acts.
    assert services.sweep_lost_jobs(now=now + timedelta(seconds=601)) == services.SweepResult(requeued=1, failed=0)


# --- A guessed rig makes no clip: its creator places the face points first.


@pytest.mark.django_db
def test_a_character_whose_face_was_not_found_is_refused_with_the_editor(client, owner, other_user, make_character):
    character = make_character(voice=FAST_VOICE, place_rig=False)  # a flat test portrait: only the template
    api = APIClient()
    api.force_authenticate(owner)
    response = api.post("/api/clips/jobs/", {"character": character.slug, "script": "Hello."}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "rig_needed"
    assert response.json()["rig_editor"] == f"/c/{character.slug}/rig/"
    assert not GenerationJob.objects.exists() and not UsageCounter.objects.exists()

    api.force_authenticate(other_user)
    theirs = api.post("/api/clips/jobs/", {"character": character.slug, "script": "Hello."}, format="json").json()
    assert theirs["rig_editor"] is None and "Its creator" in theirs["detail"]

    client.force_login(owner)
    page = client.get(character.get_absolute_url()).content.decode()
    assert 'data-testid="place-rig"' in page and 'data-testid="make-clip"' not in page
    form = client.get(f"/c/{character.slug}/clip/").content.decode()
    assert 'data-testid="clip-refusal"' in form and f'href="/c/{character.slug}/rig/"' in form

    # Saving in the editor (even the points as they were) makes them the creator's own placing.
    character_services.set_face_rig(
        character=character, actor=owner, handles=character_selectors.face_rig(character=character).handles()
    )
    api.force_authenticate(owner)
    assert api.post("/api/clips/jobs/", {"character": character.slug, "script": "Hello."}, format="json").status_code == 201
