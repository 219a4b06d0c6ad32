"""The clip request: who may make a clip of which character, the checks on script, voice and recording, and the queue.

Every refusal happens before anything is stored or a day's clip is used, so a refused request leaves nothing behind.
"""

import logging
import secrets
import tempfile
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from kombu.exceptions import KombuError

from accounts.models import User
from characters import selectors as character_selectors
from characters.models import Character, Visibility
from common.errors import ApplicationError
from engine import speech
from generation.models import GenerationJob, JobStatus
from generation.services.dispatch import RUN_NEXT_JOB_TASK, check_queue_admits
from generation.services.lifecycle import QUOTA_ACTION, announce_queue, end_job
from moderation import services as moderation
from moderation.models import ModerationState
from storable import text_problem

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "generation.tasks.run_job"  # runs one given job: make_clip and tests
AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg")
MAX_AUDIO_BYTES = 16_000_000  # a minute of 48 kHz stereo 16-bit WAV is 11.5 MB
QUEUE_UNAVAILABLE = "The clip queue is unavailable right now. Please try again in a few minutes."


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
    if character_selectors.rig_needs_placing(character=character):
        is_owner = character.owner_id == user.pk
        raise RigNeeded(
            f"No face was found in {character.name}'s portrait with confidence, so a clip would move the wrong part "
            "of the picture. "
            + (
                "Place the face points in the rig editor first."
                if is_owner
                else "Its creator has to place the face points first."
            ),
            editor=reverse("character_rig", kwargs={"slug": character.slug}) if is_owner else None,
        )


class RigNeeded(ApplicationError):
    """The character's face points are a guess; clips wait until its creator places them in the rig editor."""

    code = "rig_needed"
    status = 409

    def __init__(self, message: str, *, editor: str | None) -> None:
        super().__init__(message)
        self.editor = editor

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "rig_editor": self.editor}


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

    Refusals raise PermissionDenied, ValidationError, ContentBlocked, QuotaExceeded, QueueFull or
    TooManyJobs with nothing stored and no quota used. enqueue=False leaves running the job to the
    caller (make_clip, the demo): no worker takes it.
    """
    check_can_make_clip(user=user, character=character)
    if enqueue:
        check_queue_admits(user)
    check_one_source(text=text, audio_file=audio_file)
    script = check_script(text) if audio_file is None else ""
    voice = resolve_voice(voice=voice, character=character)
    if script:
        moderation.require_clear_text({"script": script}, what="This script")
    suffix = check_recording(audio_file) if audio_file is not None else ""
    job = GenerationJob(
        id=uuid.uuid4(),
        owner=user,
        character=character,
        script=script,
        voice=voice,
        seed=secrets.randbelow(2**31),
        task_id=str(uuid.uuid4()),
        direct=not enqueue,
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
    """Send the job's ticket to the generation queue; a broker that cannot be reached fails the job rather than leave it queued.

    The ticket names no job: the worker that runs it takes the next job in fair order (services.dispatch).
    The waiting jobs hear their new places in line (a new user's first clip goes before others' later ones).
    """
    try:
        current_app.send_task(RUN_NEXT_JOB_TASK, task_id=task_id)
    except (KombuError, OSError):
        logger.exception("Could not queue clip job %s", job_id)
        end_job(job_id=job_id, status=JobStatus.FAILED, error=QUEUE_UNAVAILABLE)
    else:
        announce_queue()
