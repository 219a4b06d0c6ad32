"""A published clip's row without running the worker, for tests and benchmarks that need clips but not videos.

The row looks like what publish.py leaves (files named after the job, a passing provenance summary),
so pages and feeds treat it as any other clip; nothing here is used by the platform itself.
"""

from typing import Any

from generation.models import Clip, GenerationJob

PASSING_PROVENANCE = {
    "ai_generated": True,
    "c2pa_state": "Trusted",
    "c2pa_errors": [],
    "c2pa_payload_matches": True,
    "signer": "Marionette development signer",
    "generator": "Marionette/0.1.0",
    "watermark_found": True,
    "watermark_payload_matches": True,
    "watermark_confidence": 0.98,
    "watermark_frames": 250,
}


def clip_row(job: GenerationJob, *, payload: str = "00112233aabbccdd", **fields: Any) -> Clip:
    """An unsaved Clip of the job, 512² at 25 fps; `fields` override any column."""
    values = {
        "job_id": job.pk,
        "owner_id": job.owner_id,
        "character_id": job.character_id,
        "video": f"clips/{job.pk}/video.mp4",
        "poster": f"clips/{job.pk}/poster.jpg",
        "duration": 1.5,
        "width": 512,
        "height": 512,
        "fps": 25,
        "watermark_payload": payload,
        "provenance": {**PASSING_PROVENANCE, "watermark_payload": payload},
    }
    return Clip(**{**values, **fields})
