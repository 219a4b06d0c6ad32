"""Make one clip from the command line, through the same checks, quota and task as the site, without Celery."""

import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from characters.models import Character
from common.forms import REFUSALS, refusal_messages
from generation import services, tasks
from generation.models import GenerationJob, JobStatus


class Command(BaseCommand):
    help = "Make a talking clip of a character from a script (or a recording) and copy the MP4 to --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--character", required=True, help="The character's slug.")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--text", help="The script the character speaks.")
        source.add_argument("--audio", type=Path, help="A WAV, MP3 or OGG recording to lip-sync to instead.")
        parser.add_argument("--voice", default="", help="A voice id (see /api/clips/voices/); the character's voice by default.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the MP4.")
        parser.add_argument("--user", help="Who requests the clip (their quota is used); the character's owner by default.")

    def handle(
        self, *args, character: str, text: str | None, audio: Path | None, voice: str, out: Path, user: str | None, **options
    ) -> None:
        subject = Character.objects.select_related("owner").filter(slug=character).first()
        if subject is None:
            raise CommandError(f'No character with the slug "{character}".')
        requester = subject.owner
        if user:
            requester = get_user_model().objects.filter(username=user, is_active=True).first()
            if requester is None:
                raise CommandError(f'No active user "{user}".')
        if not out.parent.is_dir():
            raise CommandError(f"The folder of --out does not exist: {out.parent}")
        job = self.request(requester, subject, text, audio, voice)
        self.stdout.write(f"Job {job.pk}: making the clip…")
        tasks.run_job.apply(args=[str(job.pk)], task_id=job.task_id)
        job = GenerationJob.objects.select_related("clip").get(pk=job.pk)
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"The clip was not made ({job.status}): {job.error or 'no reason given'}")
        with job.clip.video.open("rb") as video, out.open("wb") as copy:
            shutil.copyfileobj(video, copy)
        for stage, seconds in job.timings.items():
            self.stdout.write(f"  {stage:<10} {seconds:7.2f} s")
        if job.fallback_reason:
            self.stdout.write(self.style.WARNING(job.fallback_reason))
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {out} ({job.clip.duration:.1f} s, C2PA {job.clip.provenance['c2pa_state']}).")
        )

    def request(self, user, character: Character, text: str | None, audio: Path | None, voice: str) -> GenerationJob:
        if audio is None:
            return self.submit(user=user, character=character, text=text, audio_file=None, voice=voice)
        if not audio.is_file():
            raise CommandError(f"No such file: {audio}")
        with audio.open("rb") as recording:
            return self.submit(
                user=user, character=character, text=None, audio_file=File(recording, name=audio.name), voice=voice
            )

    def submit(self, **request) -> GenerationJob:
        try:
            return services.request_clip(**request, enqueue=False)
        except REFUSALS as exc:
            raise CommandError(" ".join(refusal_messages(exc))) from exc
