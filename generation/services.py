"""Every write to clip jobs: the request with its checks, cancellation, and a worker's run from claim to published clip.

A job moves queued → running → succeeded | failed | cancelled. Every move to a final state is
conditional on the job still being active, under a row lock, so whichever of the worker, a
cancel and a redelivered task gets there first wins and the others change nothing.
"""

import io
import logging
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from asgiref.sync import async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError
from PIL import Image

from accounts.models import User
from characters.models import Character, Visibility
from common.media import delete_on_commit, stored_names
from engine import speech
from engine.pipeline import Cancelled, ClipRequest, ClipResult, make_clip
from engine.rig import Rig, RigError
from generation import selectors
from generation.models import ACTIVE_STATUSES, Clip, GenerationJob, JobStatus
from moderation import services as moderation
from moderation.models import ModerationState
from provenance import manifest, watermark
from storable import text_problem

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "generation.tasks.run_job"
QUOTA_ACTION = "clip"
AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg")
MAX_AUDIO_BYTES = 16_000_000  # a minute of 48 kHz stereo 16-bit WAV is 11.5 MB
MAX_ATTEMPTS = 3  # a job whose runs keep killing their worker fails instead of looping forever
CANCEL_POLL_SECONDS = 0.5
CHECK_FRAMES = 48  # frames of the stored MP4 the watermark check reads: a vote over ~2 s is conclusive
PUBLISH_STAGE = "publish"
GENERIC_FAILURE = (
    "Something went wrong while making this clip. Please try again; if it keeps failing, try another script or portrait."
)
QUEUE_UNAVAILABLE = "The clip queue is unavailable right now. Please try again in a few minutes."
CHECKS_FAILED = "The finished clip did not pass its provenance checks, so it was not published. Please try again."
ACCEPTED_C2PA_STATES = ("Valid", "Trusted")


class JobFinished(Exception):
    """The job already ended, so it can no longer be cancelled."""


class ClipFailure(Exception):
    """A run-time problem the owner can act on; the message is shown to them."""


class OutputCheckFailed(Exception):
    """The stored clip does not carry the provenance every published clip must carry."""


# --- request -------------------------------------------------------------------------------------


def check_can_make_clip(*, user: User, character: Character) -> None:
    """Anyone may make clips of characters they can open that are shared; private ones only their owner.

    Characters that moderation holds, rejected or took down make no clips, not even for their owner.
    """
    if not user.is_authenticated:
        raise PermissionDenied("Log in to make clips.")
    if character.visibility == Visibility.PRIVATE and character.owner_id != user.pk:
        raise PermissionDenied("Only the owner can make clips of a private character.")
    if character.moderation_state == ModerationState.HELD:
        raise PermissionDenied(f"{character.name} is held for review; clips can be made once a moderator approves it.")
    if character.is_held:
        raise PermissionDenied(f"{character.name} was {character.get_moderation_state_display().lower()}; it makes no clips.")
    if not character.portrait:
        raise ValidationError(f"{character.name} has no portrait yet; a clip needs one.")


def check_one_source(*, text: str | None, audio_file: File | None) -> None:
    if text and text.strip() and audio_file is not None:
        raise ValidationError("Give a script or a recording, not both.")
    if not (text and text.strip()) and audio_file is None:
        raise ValidationError({"script": "Write a script, or upload a recording of your own voice."})


def check_script(text: str) -> str:
    script = text.strip()
    if not any(char.isalnum() for char in script):
        raise ValidationError({"script": "Write at least one word for the character to say."})
    if len(script) > speech.MAX_SCRIPT_CHARS:
        raise ValidationError({"script": f"The script has {len(script):,} characters; the limit is {speech.MAX_SCRIPT_CHARS:,}."})
    problem = text_problem(script)
    if problem:
        raise ValidationError({"script": f"The script {problem}."})
    return script


def resolve_voice(*, voice: str, character: Character) -> str:
    """The chosen voice; without a choice, the character's own voice when the catalogue has it, else the default."""
    voice = voice.strip()
    if voice:
        if voice not in speech.VOICES:
            raise ValidationError({"voice": f'There is no voice "{voice[:64]}"; choose one from the voice catalogue.'})
        return voice
    return character.voice if character.voice in speech.VOICES else speech.DEFAULT_VOICE


def screen_script(script: str) -> None:
    """Blocked text is refused by moderation; text it would hold for review is refused too, since clips are public media."""
    screening = moderation.screen(text_fields={"script": script})
    if screening.state != ModerationState.VISIBLE:
        categories = list(screening.text_verdict.get("categories", []))
        raise moderation.ContentBlocked(
            f"This script may break the rules ({', '.join(categories) or 'unclear'}). Clips are public, so scripts "
            "must pass the checks without a moderator's review. Please rephrase it.",
            categories=categories,
        )


def audio_suffix(audio_file: File) -> str:
    suffix = Path(audio_file.name or "").suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise ValidationError({"audio": "Upload the recording as a WAV, MP3 or OGG file."})
    return suffix


def check_recording(audio_file: File) -> str:
    """Decode the upload before anything is stored; returns its file suffix."""
    suffix = audio_suffix(audio_file)
    if audio_file.size > MAX_AUDIO_BYTES:
        raise ValidationError({"audio": f"The recording is larger than {MAX_AUDIO_BYTES // 1_000_000} MB."})
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for chunk in audio_file.chunks():
            copy.write(chunk)
        copy.flush()
        try:
            speech.load_audio(Path(copy.name))
        except speech.SpeechError as exc:
            raise ValidationError({"audio": str(exc)}) from exc
    audio_file.seek(0)
    return suffix


def request_clip(
    *,
    user: User,
    character: Character,
    text: str | None = None,
    audio_file: File | None = None,
    voice: str = "",
    enqueue: bool = True,
) -> GenerationJob:
    """Check the request, use one of today's clips, store the job and queue it once the transaction commits.

    Refusals raise PermissionDenied, ValidationError, ContentBlocked or QuotaExceeded with nothing
    stored and no quota used. enqueue=False leaves running the job to the caller (make_clip).
    """
    check_can_make_clip(user=user, character=character)
    check_one_source(text=text, audio_file=audio_file)
    script = check_script(text) if audio_file is None else ""
    voice = resolve_voice(voice=voice, character=character)
    if script:
        screen_script(script)
    suffix = check_recording(audio_file) if audio_file is not None else ""
    job = GenerationJob(
        id=uuid.uuid4(),
        owner=user,
        character=character,
        script=script,
        voice=voice,
        seed=secrets.randbelow(2**31),
        task_id=str(uuid.uuid4()),
    )
    if audio_file is not None:
        job.audio.save(f"{job.pk}{suffix}", audio_file, save=False)
    try:
        with transaction.atomic():
            moderation.consume_quota(user=user, action=QUOTA_ACTION, limit=settings.CLIP_DAILY_QUOTA)
            job.save(force_insert=True)
            if enqueue:
                transaction.on_commit(partial(enqueue_job, job_id=job.pk, task_id=job.task_id))
    except BaseException:
        if job.audio:
            job.audio.storage.delete(job.audio.name)
        raise
    return job


def enqueue_job(*, job_id: uuid.UUID, task_id: str) -> None:
    """Hand the job to the generation queue; a broker that cannot be reached fails the job rather than leave it queued."""
    try:
        current_app.send_task(RUN_JOB_TASK, args=[str(job_id)], task_id=task_id)
    except (KombuError, OSError):
        logger.exception("Could not queue clip job %s", job_id)
        end_job(job_id=job_id, status=JobStatus.FAILED, error=QUEUE_UNAVAILABLE)


# --- final states and cancellation ------------------------------------------------------------


def end_job(
    *, job_id: uuid.UUID, status: str, from_statuses: tuple[str, ...] = ACTIVE_STATUSES, error: str = "", **fields: Any
) -> GenerationJob | None:
    """Move an active job to a final state, once; None when something else ended it first.

    The uploaded recording is deleted with the move: a finished job never needs it again. A failed
    job gives its owner back the day's clip it used.
    """
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id, status__in=from_statuses).first()
        if job is None:
            return None
        delete_on_commit(job.audio.storage, stored_names(job, "audio"))
        job.audio = ""
        job.status, job.error, job.finished_at = status, error, timezone.now()
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()
        if status == JobStatus.FAILED:
            moderation.release_quota(user_id=job.owner_id, action=QUOTA_ACTION, day=job.created_at.date())
        transaction.on_commit(partial(send_state, job))
    return job


def cancel_job(*, user: User, job: GenerationJob) -> GenerationJob:
    """The owner stops a queued or running job; a running worker notices within CANCEL_POLL_SECONDS and stops."""
    if job.owner_id != user.pk:
        raise PermissionDenied("Only the owner can cancel this job.")
    cancelled = end_job(job_id=job.pk, status=JobStatus.CANCELLED)
    if cancelled is None:
        job.refresh_from_db(fields=["status"])
        raise JobFinished(f"This job has already {job.get_status_display().lower()}; there is nothing to cancel.")
    return cancelled


# --- progress --------------------------------------------------------------------------------------


def send_state(job: GenerationJob) -> None:
    """Tell the job's socket listeners where it stands. Best effort: a lost event must not fail the clip."""
    try:
        async_to_sync(get_channel_layer().group_send)(job.group_name, {"type": "job.progress", **selectors.job_state(job)})
    except Exception:  # the channel layer's client raises many kinds of connection errors
        logger.warning("Could not send the progress of clip job %s", job.pk, exc_info=True)


class JobProgress:
    """The engine's callbacks for one run: progress goes to the row and the job's group, cancellation comes from the row."""

    def __init__(self, job: GenerationJob) -> None:
        self.job = job
        self.checked_at = 0.0
        self.stopped = False

    def report(self, stage: str, percent: float) -> None:
        # The engine's 100 % is not the job's: publishing still follows, and only success shows 100.
        percent = max(0, min(99, int(percent)))
        if (stage, percent) == (self.job.stage, self.job.progress):
            return
        self.job.stage, self.job.progress = stage, percent
        if GenerationJob.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(stage=stage, progress=percent):
            send_state(self.job)

    def should_cancel(self) -> bool:
        """True once the job is no longer running (cancelled, or deleted with its character); reads the row at most twice a second."""
        now = time.monotonic()
        if not self.stopped and now - self.checked_at >= CANCEL_POLL_SECONDS:
            self.checked_at = now
            self.stopped = not GenerationJob.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).exists()
        return self.stopped


# --- the worker's run ------------------------------------------------------------------------------


def claim_job(*, job_id: str, task_id: str | None) -> GenerationJob | None:
    """Take the job for this run, or None when there is nothing to do.

    A queued job is taken. A running one is taken back only by a redelivery of the task that
    started it (its worker died: acks_late puts the message back), and fails once that has
    happened MAX_ATTEMPTS times. Finished jobs, and jobs another task is running, are left alone.
    """
    pk = selectors.parse_uuid(job_id)
    if pk is None:
        return None
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update(of=("self",)).select_related("character").filter(pk=pk).first()
        if job is None or job.is_finished:
            return None
        if job.status == JobStatus.RUNNING and (not task_id or task_id != job.task_id):
            return None
        if job.attempts >= MAX_ATTEMPTS:
            logger.error("Clip job %s failed: its worker was lost %d times", job.pk, job.attempts)
            end_job(job_id=job.pk, status=JobStatus.FAILED, error=GENERIC_FAILURE)
            return None
        job.status, job.started_at, job.stage, job.progress = JobStatus.RUNNING, timezone.now(), "", 0
        job.task_id = task_id or job.task_id
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "stage", "progress", "task_id", "attempts"])
    return job


def run_job(*, job_id: str, task_id: str | None) -> str | None:
    """Claim the job, make its clip and publish it; returns the job's final status, or None when there was nothing to do."""
    job = claim_job(job_id=job_id, task_id=task_id)
    if job is None:
        return None
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
    except (speech.SpeechError, ClipFailure) as exc:
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
    return rig


# --- publishing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputNames:
    """Where a job's files live. Named after the job, so a re-run overwrites its files instead of adding more."""

    video: str
    poster: str

    @classmethod
    def for_job(cls, job: GenerationJob) -> "OutputNames":
        return cls(video=f"clips/{job.pk}/video.mp4", poster=f"clips/{job.pk}/poster.jpg")

    def all(self) -> list[str]:
        return [self.video, self.poster]


def publish_clip(job: GenerationJob, result: ClipResult, workdir: Path) -> GenerationJob | None:
    """Store the files, check what was stored, create the clip and end the job: all of it, or none of it.

    Runs under the job's row lock and only while the job is still running, so a cancel or a
    concurrent delivery of the same task either happens before (and nothing is stored) or after.
    """
    started = time.perf_counter()
    names = OutputNames.for_job(job)
    stored = False
    try:
        with transaction.atomic():
            locked = GenerationJob.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).first()
            if locked is None:
                return None
            stored = True
            store_file(names.video, result.video)
            store_file(names.poster, result.poster)
            summary = check_outputs(names.video, result.watermark_payload, workdir)
            Clip.objects.update_or_create(
                job=locked,
                defaults={
                    "owner_id": locked.owner_id,
                    "character_id": locked.character_id,
                    "video": names.video,
                    "poster": names.poster,
                    "duration": result.duration,
                    "width": result.width,
                    "height": result.height,
                    "fps": result.fps,
                    "watermark_payload": result.watermark_payload.hex(),
                    "provenance": summary,
                },
            )
            timings = {**result.timings, PUBLISH_STAGE: time.perf_counter() - started}
            return end_job(
                job_id=locked.pk,
                status=JobStatus.SUCCEEDED,
                from_statuses=(JobStatus.RUNNING,),
                progress=100,
                stage=PUBLISH_STAGE,
                fallback_reason=result.fallback_reason or "",
                timings={stage: round(seconds, 3) for stage, seconds in timings.items()},
            )
    except BaseException:
        if stored:  # only files this run wrote; before the lock they may be another delivery's
            for name in names.all():
                default_storage.delete(name)
        raise


def store_file(name: str, local: Path) -> None:
    """Write a file under exactly this name, replacing what an earlier, interrupted run left there."""
    default_storage.delete(name)
    with local.open("rb") as source:
        stored = default_storage.save(name, File(source, name=Path(name).name))
    if stored != name:  # another writer raced us to the name; never publish a file under a name we did not choose
        default_storage.delete(stored)
        raise RuntimeError(f"Could not store {name}: the storage chose {stored}.")


def decoded_frames(path: Path, limit: int) -> Iterator[np.ndarray]:
    """The first frames of a video as RGB arrays, decoded by the bundled ffmpeg."""
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        width, height = next(reader)["size"]
        for raw in islice(reader, limit):
            yield np.frombuffer(raw, np.uint8).reshape(height, width, 3)
    finally:
        reader.close()


def signer_name(identity: manifest.SigningIdentity) -> str:
    """Who signs the manifests: the organization (or common name) of the signing certificate."""
    subject = x509.load_pem_x509_certificates(identity.chain_pem)[0].subject
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        names = subject.get_attributes_for_oid(oid)
        if names:
            return str(names[0].value)
    return subject.rfc4514_string()


def check_outputs(video_name: str, payload: bytes, workdir: Path) -> dict[str, Any]:
    """Re-read the stored MP4: its frames must carry the watermark and its manifest must verify and say AI-generated."""
    local = workdir / "stored.mp4"
    with default_storage.open(video_name, "rb") as stored, local.open("wb") as copy:
        shutil.copyfileobj(stored, copy)
    detection = watermark.detect(list(decoded_frames(local, CHECK_FRAMES)))
    identity = moderation.signing_identity()
    report = manifest.verify(local, trust_root_pem=identity.root_pem)
    summary = {
        "ai_generated": report.ai_generated,
        "c2pa_state": report.state,
        "c2pa_errors": report.errors,
        "c2pa_payload_matches": report.watermark_payload == payload,
        "signer": signer_name(identity),
        "generator": report.generator,
        "watermark_found": detection.payload is not None,
        "watermark_payload": detection.payload.hex() if detection.payload is not None else None,
        "watermark_payload_matches": detection.payload == payload,
        "watermark_confidence": detection.confidence,
        "watermark_frames": detection.frames,
    }
    passed = (
        report.state in ACCEPTED_C2PA_STATES
        and report.ai_generated
        and summary["c2pa_payload_matches"]
        and summary["watermark_payload_matches"]
    )
    if not passed:
        raise OutputCheckFailed(f"Output checks failed: {summary}")
    return summary


# --- deletion --------------------------------------------------------------------------------------


def delete_job_files(sender: type, instance: GenerationJob, **kwargs: Any) -> None:
    """A deleted job (directly, or with its character or owner) takes its uploaded recording along."""
    delete_on_commit(instance.audio.storage, stored_names(instance, "audio"))


def delete_clip_files(sender: type, instance: Clip, **kwargs: Any) -> None:
    delete_on_commit(instance.video.storage, stored_names(instance, "video", "poster"))
