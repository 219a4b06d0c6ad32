"""API shapes of clip jobs, clips and voices."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generation import queueing, selectors
from generation.models import Clip, GenerationJob, JobStatus


class JobRequestSerializer(serializers.Serializer):
    character = serializers.CharField(max_length=60, help_text="The character's slug.")
    script = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="What the character says; or upload `audio` instead."
    )
    audio = serializers.FileField(
        required=False, help_text="Your own recording instead of a script: WAV, MP3 or OGG, at most 60 s."
    )
    voice = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64, help_text="A voice id; the character's voice by default."
    )


class ProvenanceSerializer(serializers.Serializer):
    ai_generated = serializers.BooleanField()
    c2pa_state = serializers.CharField(help_text="Trusted, Valid, Invalid or Missing, read back from the stored file.")
    signer = serializers.CharField()
    watermark_found = serializers.BooleanField()
    watermark_payload_matches = serializers.BooleanField()
    watermark_confidence = serializers.FloatField()


class CharacterSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class ClipSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-clip-detail", lookup_url_kwarg="clip_id")
    page = serializers.SerializerMethodField()
    job = serializers.UUIDField(source="job_id", read_only=True)
    character = CharacterSummarySerializer(read_only=True)
    video = serializers.FileField(read_only=True)
    poster = serializers.FileField(read_only=True)
    provenance = serializers.SerializerMethodField()

    class Meta:
        model = Clip
        fields = [
            "id",
            "url",
            "page",
            "job",
            "character",
            "video",
            "poster",
            "duration",
            "width",
            "height",
            "fps",
            "watermark_payload",
            "provenance",
            "created_at",
        ]

    def get_page(self, clip: Clip) -> str:
        return self.context["request"].build_absolute_uri(clip.get_absolute_url())

    @extend_schema_field(ProvenanceSerializer)
    def get_provenance(self, clip: Clip) -> dict[str, Any]:
        return ProvenanceSerializer(clip.provenance).data


class QueuePlaceSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 for the job that starts next.")
    ahead = serializers.IntegerField(help_text="Waiting jobs that start before this one.")
    estimated_start = serializers.DateTimeField()
    estimated_finish = serializers.DateTimeField()


class JobSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-clip-job-detail", lookup_url_kwarg="job_id")
    page = serializers.SerializerMethodField()
    socket = serializers.SerializerMethodField(help_text="WebSocket path that streams this job's progress.")
    character = CharacterSummarySerializer(read_only=True)
    label = serializers.SerializerMethodField(help_text="What the job is doing, in words.")
    finished = serializers.BooleanField(source="is_finished", read_only=True, help_text="Succeeded, failed or cancelled.")
    source = serializers.SerializerMethodField(help_text="`script` (a voice speaks it) or `recording` (an uploaded one).")
    clip = serializers.SerializerMethodField()
    queue = serializers.SerializerMethodField(help_text="While queued: the place in line and the expected start and finish.")

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "url",
            "page",
            "socket",
            "character",
            "status",
            "finished",
            "progress",
            "stage",
            "label",
            "error",
            "fallback_reason",
            "timings",
            "script",
            "source",
            "voice",
            "seed",
            "clip",
            "queue",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_page(self, job: GenerationJob) -> str:
        return self.context["request"].build_absolute_uri(job.get_absolute_url())

    def get_socket(self, job: GenerationJob) -> str:
        return f"/ws/jobs/{job.pk}/"

    def get_label(self, job: GenerationJob) -> str:
        return selectors.stage_label(job, self.queue_estimate(job))

    @extend_schema_field(QueuePlaceSerializer(allow_null=True))
    def get_queue(self, job: GenerationJob) -> dict[str, Any] | None:
        return selectors.queue_summary(self.queue_estimate(job))

    def queue_estimate(self, job: GenerationJob) -> queueing.Estimate | None:
        """The whole queue is worked out once per response, however many of the listed jobs wait."""
        if job.status != JobStatus.QUEUED:
            return None
        if "queue_estimates" not in self.context:
            self.context["queue_estimates"] = selectors.queue_estimates()
        return self.context["queue_estimates"].get(job.pk)

    def get_source(self, job: GenerationJob) -> str:
        return "script" if job.script else "recording"

    @extend_schema_field(ClipSerializer(allow_null=True))
    def get_clip(self, job: GenerationJob) -> dict[str, Any] | None:
        clip = getattr(job, "clip", None)
        return ClipSerializer(clip, context=self.context).data if clip is not None else None


class VoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    engine = serializers.CharField()
    preview = serializers.CharField(help_text="URL of a short WAV sample.")
