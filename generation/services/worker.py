"""A worker's run of one job: claim it, render the clip with the engine, publish it, end the job.

The only module of the app that imports the engine's pipeline (and with it torch): the web
process never imports it, the worker does when its first task runs.
"""

import io
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image

from characters.models import Character
from engine import speech
from engine.pipeline import Cancelled, ClipRequest, ClipResult, make_clip
from engine.rig import UNCERTAIN_RIG, Rig, RigError
from generation.models import GenerationJob, JobStatus
from generation.services.dispatch import claim_next_job
from generation.services.lifecycle import GENERIC_FAILURE, PUBLISH_STAGE, JobProgress, claim_job, end_job, send_state
from generation.services.publish import CHECKS_FAILED, OutputCheckFailed, publish_clip
from moderation import services as moderation

logger = logging.getLogger(__name__)


class ClipFailure(Exception):
    """A run-time problem the owner can act on; the message is shown to them."""


def run_job(*, job_id: str, task_id: str | None) -> str | None:
    """Claim the job, make its clip and publish it; returns the job's final status, or None when there was nothing to do."""
    job = claim_job(job_id=job_id, task_id=task_id)
    return None if job is None else run_claimed(job)


def run_next_job(*, task_id: str) -> str | None:
    """A ticket's run: the next job in fair order, or None when no job waits."""
    job = claim_next_job(task_id=task_id)
    return None if job is None else run_claimed(job)


def run_claimed(job: GenerationJob) -> str | None:
    send_state(job)
    progress = JobProgress(job)
    try:
        with tempfile.TemporaryDirectory(prefix="clip-") as directory:
            workdir = Path(directory)
            result = render(job, workdir, progress)
            progress.report(PUBLISH_STAGE, 99)
            ended = publish_clip(job, result, workdir)
    except Cancelled:
        ended = end_job(job_id=job.pk, status=JobStatus.CANCELLED, from_statuses=(JobStatus.RUNNING,))
    except (speech.SpeechError, ClipFailure, RigError) as exc:
        ended = end_job(job_id=job.pk, status=JobStatus.FAILED, from_statuses=(JobStatus.RUNNING,), error=str(exc))
    except OutputCheckFailed:
        logger.exception("Clip job %s made a clip that failed its output checks", job.pk)
        ended = end_job(job_id=job.pk, status=JobStatus.FAILED, from_statuses=(JobStatus.RUNNING,), error=CHECKS_FAILED)
    except Exception:
        logger.exception("Clip job %s failed", job.pk)
        ended = end_job(job_id=job.pk, status=JobStatus.FAILED, from_statuses=(JobStatus.RUNNING,), error=GENERIC_FAILURE)
    if ended is None:  # cancelled (or deleted with its character) meanwhile; that path already ended it
        return GenerationJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    return ended.status


def render(job: GenerationJob, workdir: Path, progress: JobProgress) -> ClipResult:
    request = ClipRequest(
        image=read_portrait(job.character),
        text=job.script or None,
        audio=fetch_recording(job, workdir) if job.audio else None,
        voice=job.voice,
        rig=saved_rig(job.character),
        seed=job.seed,
        badge=settings.CLIP_AI_BADGE,
        title=f"{job.character.name} · {settings.SITE_NAME} clip",
    )
    output = workdir / "engine"
    output.mkdir()
    return make_clip(
        request,
        workdir=output,
        identity=moderation.signing_identity(),
        on_progress=progress.report,
        should_cancel=progress.should_cancel,
    )


def read_portrait(character: Character) -> np.ndarray:
    """The portrait as RGB pixels, read through the storage API so S3 works like local files."""
    if not character.portrait:
        raise ClipFailure(f"{character.name} no longer has a portrait.")
    with character.portrait.storage.open(character.portrait.name, "rb") as stored:
        data = stored.read()
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def fetch_recording(job: GenerationJob, workdir: Path) -> Path:
    local = workdir / f"recording{Path(job.audio.name).suffix}"
    with job.audio.storage.open(job.audio.name, "rb") as stored, local.open("wb") as copy:
        shutil.copyfileobj(stored, copy)
    return local


def saved_rig(character: Character) -> Rig | None:
    """The creator's rig when one is saved; None lets the engine find the face itself."""
    if not character.face_rig:
        return None
    try:
        rig = Rig.from_dict(character.face_rig)
    except RigError:
        logger.warning("Ignoring the unusable face rig of character %s", character.pk, exc_info=True)
        return None
    if not rig.trusted:  # the rig was reset to a guess after the request was checked
        raise ClipFailure(UNCERTAIN_RIG)
    return rig
