"""Clip pages: make a clip of a character, follow its job live, watch the result, list your clips."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from characters import selectors as character_selectors
from characters.models import Character
from common.errors import ApplicationError
from common.forms import REFUSALS, add_service_error
from engine import speech
from engine.stages import STAGES
from generation import selectors, services
from generation.forms import ClipForm
from generation.models import GenerationJob
from moderation.services import ContentBlocked

PAGE_SIZE = 24
REFUSAL_FIELDS = {ContentBlocked: "script"}


def owned_job_or_404(request: HttpRequest, job_id: str) -> GenerationJob:
    job = selectors.job_for_owner(job_id=job_id, user=request.user)
    if job is None:
        raise Http404("No such job of yours.")
    return job


def clip_maker(
    request: HttpRequest,
    character: Character,
    *,
    submit: Callable[[dict], GenerationJob],
    initial: dict | None = None,
    extra_context: dict | None = None,
) -> HttpResponse:
    """The clip form of a character: shows why it can't be used, or submits valid input and opens the new job.

    `submit` turns the form's cleaned data into a job; remixes pass their own, which records the source.
    """
    initial = {"voice": services.resolve_voice(voice="", character=character), **(initial or {})}
    form = ClipForm(request.POST or None, request.FILES or None, initial=initial)
    refusal = rig_editor = None
    try:
        services.check_can_make_clip(user=request.user, character=character)
    except (ValidationError, ApplicationError) as exc:  # PermissionDenied goes on to a 403 page
        refusal = " ".join(exc.messages)
        rig_editor = exc.editor if isinstance(exc, services.RigNeeded) else None
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            job = submit(form.cleaned_data)
        except REFUSALS as exc:
            add_service_error(form, exc, field=REFUSAL_FIELDS.get(type(exc)))
        else:
            return redirect(job)
    context = {
        "character": character,
        "form": form,
        "refusal": refusal,
        "rig_editor": rig_editor,
        "voices": selectors.voice_catalogue(),
        "selected_voice": form["voice"].value(),
        "max_script_chars": speech.MAX_SCRIPT_CHARS,
        **(extra_context or {}),
    }
    return render(request, "generation/clip_form.html", context)


@login_required
def clip_create(request: HttpRequest, slug: str) -> HttpResponse:
    character = character_selectors.character_for_viewer(slug=slug, viewer=request.user)
    if character is None:
        raise Http404("No character with that name is visible to you.")

    def submit(data: dict) -> GenerationJob:
        return services.request_clip(
            user=request.user, character=character, text=data["script"], audio_file=data["audio"], voice=data["voice"]
        )

    return clip_maker(request, character, submit=submit)


@login_required
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = owned_job_or_404(request, job_id)
    clip = getattr(job, "clip", None)
    timings = [(stage, job.timings[stage]) for stage in (*STAGES, services.PUBLISH_STAGE) if stage in job.timings]
    context = {"job": job, "clip": clip, "state": selectors.job_state(job), "timings": timings}
    return render(request, "generation/job_detail.html", context)


@login_required
@require_POST
def job_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    job = owned_job_or_404(request, job_id)
    try:
        services.cancel_job(user=request.user, job=job)
    except services.JobFinished as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Cancelled.")
    return redirect(job)


@login_required
def my_clips(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.jobs_for_owner(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "generation/my_clips.html", {"page": page})
