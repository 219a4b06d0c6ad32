"""Publishing a finished clip: store its files, re-read what was stored, check its provenance, create the Clip.

All of it or none of it: a clip whose stored file lacks the watermark or a valid manifest is never published.
"""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from engine.encode import decode_frames
from engine.pipeline import ClipResult
from generation.models import Clip, GenerationJob, JobStatus
from generation.services.lifecycle import PUBLISH_STAGE, end_job
from moderation import services as moderation
from provenance import manifest, watermark

CHECK_FRAMES = 48  # frames of the stored MP4 the watermark check reads: a vote over ~2 s is conclusive
CHECKS_FAILED = "The finished clip did not pass its provenance checks, so it was not published. Please try again."
ACCEPTED_C2PA_STATES = ("Valid", "Trusted")


class OutputCheckFailed(Exception):
    """The stored clip does not carry the provenance every published clip must carry."""


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
    detection = watermark.detect(list(decode_frames(local, CHECK_FRAMES)))
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
