"""Clip endpoints: request a clip, follow and cancel its job, read the clip, browse and hear the voices."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from characters import selectors as character_selectors
from common.serializers import DetailSerializer
from generation import selectors, services
from generation.models import GenerationJob
from generation.serializers import ClipSerializer, JobRequestSerializer, JobSerializer, VoiceSerializer

JOB_ID = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
CLIP_ID = OpenApiParameter("clip_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
PREVIEW_MAX_AGE = 24 * 3600


def owned_job_or_404(request: Request, job_id: str) -> GenerationJob:
    job = selectors.job_for_owner(job_id=job_id, user=request.user)
    if job is None:
        raise Http404("No such job of yours.")
    return job


class JobListView(generics.ListCreateAPIView):
    """Your clip jobs, newest first; or request a new clip (JSON, or multipart with `audio`)."""

    permission_classes = [IsAuthenticated]
    serializer_class = JobSerializer

    def get_queryset(self):
        return selectors.jobs_for_owner(user=self.request.user)

    @extend_schema(
        request={"application/json": JobRequestSerializer, "multipart/form-data": JobRequestSerializer},
        responses={
            201: JobSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            409: OpenApiResponse(
                DetailSerializer,
                description="`rig_needed`: no face was found with confidence; `rig_editor` is where to place it.",
            ),
            429: OpenApiResponse(DetailSerializer, description="Today's clips are used up, or too many of yours wait."),
            503: OpenApiResponse(DetailSerializer, description="The queue is full; Retry-After says when to try again."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = JobRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        character = character_selectors.character_for_viewer(slug=data["character"], viewer=request.user)
        if character is None:
            raise ValidationError({"character": "No character with that name is visible to you."})
        job = services.request_clip(
            user=request.user, character=character, text=data.get("script"), audio_file=data.get("audio"), voice=data["voice"]
        )
        job = selectors.job_for_owner(job_id=job.pk, user=request.user)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class JobDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[JOB_ID], responses={200: JobSerializer, 404: DetailSerializer})
    def get(self, request: Request, job_id: str) -> Response:
        """One of your jobs, with its clip once it succeeded; others' jobs are 404."""
        return Response(JobSerializer(owned_job_or_404(request, job_id), context={"request": request}).data)


class JobCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, parameters=[JOB_ID], responses={200: JobSerializer, 404: DetailSerializer, 409: DetailSerializer}
    )
    def post(self, request: Request, job_id: str) -> Response:
        """Cancel a queued or running job; a finished one answers 409."""
        job = owned_job_or_404(request, job_id)
        services.cancel_job(user=request.user, job=job)
        return Response(JobSerializer(owned_job_or_404(request, job_id), context={"request": request}).data)


class ClipDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[CLIP_ID], responses={200: ClipSerializer, 404: DetailSerializer})
    def get(self, request: Request, clip_id: str) -> Response:
        """A clip with its files and what the provenance checks found; for its owner (and staff) until clips can be posted."""
        clip = selectors.clip_for_viewer(clip_id=clip_id, user=request.user)
        if clip is None:
            raise Http404("No such clip.")
        return Response(ClipSerializer(clip, context={"request": request}).data)


class VoiceListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: VoiceSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The voices a script can be spoken in, each with a preview URL."""
        voices = selectors.voice_catalogue()
        for voice in voices:
            voice["preview"] = request.build_absolute_uri(voice["preview"])
        return Response(VoiceSerializer(voices, many=True).data)


class VoicePreviewView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("voice_id", str, OpenApiParameter.PATH)],
        responses={
            (200, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, description="A short sample."),
            404: DetailSerializer,
        },
    )
    def get(self, request: Request, voice_id: str) -> HttpResponse:
        """A short WAV sample of the voice."""
        wav = selectors.voice_preview(voice_id)
        if wav is None:
            raise Http404("No such voice.")
        response = HttpResponse(wav, content_type="audio/wav")
        patch_cache_control(response, public=True, max_age=PREVIEW_MAX_AGE)
        return response
