"""Character pages: browse, view, create, edit, rig, delete and import."""

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from characters import selectors, services
from characters.forms import CardImportForm, CharacterForm
from characters.models import Character
from common.forms import REFUSALS, add_service_error
from imaging import ImageRejected
from moderation import reports
from moderation import selectors as moderation_selectors
from moderation.forms import AppealForm, ReportForm

PAGE_SIZE = 24


def paginate(request: HttpRequest, items) -> object:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def visible_or_404(request: HttpRequest, slug: str) -> Character:
    character = selectors.character_for_viewer(slug=slug, viewer=request.user)
    if character is None:
        raise Http404("No character with that name is visible to you.")
    return character


def owned_or_403(request: HttpRequest, slug: str) -> Character:
    character = visible_or_404(request, slug)
    if character.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner can change this character.")
    return character


def home(request: HttpRequest) -> HttpResponse:
    query, tag = request.GET.get("q", ""), request.GET.get("tag", "")
    characters = selectors.search_characters(viewer=request.user, query=query, tag=tag)
    context = {"page": paginate(request, characters), "query": query, "tag": tag, "popular_tags": selectors.popular_tags()}
    return render(request, "characters/home.html", context)


def character_detail(request: HttpRequest, slug: str) -> HttpResponse:
    character = visible_or_404(request, slug)
    is_owner = character.owner_id == request.user.pk
    context = {
        "character": character,
        "is_owner": is_owner,
        "can_appeal": is_owner and moderation_selectors.can_appeal(character),
        "rig_needs_placing": selectors.rig_needs_placing(character=character),
        "report_form": ReportForm(),
        "appeal_form": AppealForm(),
    }
    return render(request, "characters/detail.html", context)


@login_required
@require_POST
def character_report(request: HttpRequest, slug: str) -> HttpResponse:
    character = visible_or_404(request, slug)
    return reports.REPORT.on_page(request, character, back=character)


@login_required
@require_POST
def character_appeal(request: HttpRequest, slug: str) -> HttpResponse:
    character = owned_or_403(request, slug)
    return reports.APPEAL.on_page(request, character, back=character)


def refusal_field(exc: Exception) -> str | None:
    """Where a refusal shows on the character form: image problems by the portrait, the rest on the whole form."""
    return "portrait" if isinstance(exc, ImageRejected) or getattr(exc, "about_image", False) else None


def form_arguments(form: CharacterForm) -> dict:
    data = dict(form.cleaned_data)
    portrait = data.pop("portrait")
    attested = data.pop("own_likeness_attested")
    tags = data.pop("tags")
    return {**data, "tags": [tags], "portrait": portrait.read() if portrait else None, "attested_own_likeness": attested}


@login_required
def character_create(request: HttpRequest) -> HttpResponse:
    form = CharacterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        arguments = form_arguments(form)
        arguments.pop("remove_portrait")
        try:
            character = services.create_character(owner=request.user, **arguments)
        except REFUSALS as exc:
            add_service_error(form, exc, field=refusal_field(exc))
        else:
            messages.success(request, f"{character.name} is ready.")
            return redirect(character)
    return render(request, "characters/form.html", {"form": form, "creating": True})


@login_required
def character_edit(request: HttpRequest, slug: str) -> HttpResponse:
    character = owned_or_403(request, slug)
    initial = {
        "name": character.name,
        "tagline": character.tagline,
        "persona": character.persona,
        "greeting": character.greeting,
        "example_dialogue": character.example_dialogue,
        "tags": ", ".join(tag.name for tag in character.tags.all()),
        "visibility": character.visibility,
        "voice": character.voice,
        "extensions": character.extensions,
    }
    form = CharacterForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        arguments = form_arguments(form)
        try:
            services.update_character(
                character=character,
                actor=request.user,
                tags=arguments.pop("tags"),
                portrait=arguments.pop("portrait"),
                remove_portrait=arguments.pop("remove_portrait"),
                attested_own_likeness=arguments.pop("attested_own_likeness"),
                changes=arguments,
            )
        except REFUSALS as exc:
            add_service_error(form, exc, field=refusal_field(exc))
        else:
            messages.success(request, "Saved.")
            return redirect(character)
        character.refresh_from_db()
    return render(request, "characters/form.html", {"form": form, "character": character, "creating": False})


@login_required
def character_rig(request: HttpRequest, slug: str) -> HttpResponse:
    """The rig editor: the page draws and drags the points; saving goes through the rig endpoint."""
    character = owned_or_403(request, slug)
    display = selectors.face_rig_display(character=character)
    context = {
        "character": character,
        "rig": asdict(display) if display else None,
        "rig_api": reverse("api-character-rig", kwargs={"slug": character.slug}),
    }
    return render(request, "characters/rig.html", context)


@login_required
def character_delete(request: HttpRequest, slug: str) -> HttpResponse:
    character = owned_or_403(request, slug)
    if request.method == "POST":
        services.delete_character(character=character, actor=request.user)
        messages.success(request, f"{character.name} was deleted.")
        return redirect("profile", username=request.user.username)
    return render(request, "characters/confirm_delete.html", {"character": character})


@login_required
def card_import(request: HttpRequest) -> HttpResponse:
    form = CardImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            character = services.import_card(owner=request.user, data=form.cleaned_data["file"].read())
        except REFUSALS as exc:
            add_service_error(form, exc, field="file")
        else:
            messages.success(request, f"Imported {character.name} as a {character.visibility} character.")
            return redirect(character)
    return render(request, "characters/import.html", {"form": form})
