"""The review queue, the likeness gallery and the audit log, for moderators in the Django admin."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from moderation import services
from moderation.models import (
    Appeal,
    AuditLogEntry,
    Case,
    Decision,
    ProtectedPerson,
    ReferencePhoto,
    Report,
    UsageCounter,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReportInline(ReadOnlyInline):
    model = Report
    fields = readonly_fields = ("created_at", "reporter", "reason", "details")


class AppealInline(ReadOnlyInline):
    model = Appeal
    fields = readonly_fields = ("created_at", "message")


class AuditInline(ReadOnlyInline):
    model = AuditLogEntry
    fields = readonly_fields = ("created_at", "actor_name", "action", "note", "before", "after")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Why; the owner sees it.")


def pretty_json(value) -> str:
    return format_html("<pre class='admin-json'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("item_label", "content_type", "owner", "trigger", "is_open", "report_count", "decision", "updated_at")
    list_filter = ("is_open", "trigger", "decision", "content_type", "reports__reason")
    search_fields = ("item_label", "owner__username", "flag_reason", "decision_note")
    inlines = [ReportInline, AppealInline, AuditInline]
    change_form_template = "admin/moderation/case/change_form.html"
    fields = ("preview", "flag_reason", "scores", "likeness", "decision", "decision_note", "decided_by", "decided_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("content_type", "owner").annotate(report_count=Count("reports"))

    @admin.display(description="Reports", ordering="report_count")
    def report_count(self, case: Case) -> int:
        return case.report_count

    @admin.display(description="Item")
    def preview(self, case: Case) -> str:
        item = case.item
        if item is None:
            return "The item no longer exists."
        rows = format_html("<p><strong>State:</strong> {} {}</p>", item.get_moderation_state_display(), item.moderation_reason)
        image = item.moderation_image_url()
        if image:
            rows += format_html('<img src="{}" alt="" class="admin-preview">', image)
        for label, value in item.moderation_preview().items():
            rows += format_html("<p><strong>{}:</strong> {}</p>", label, value)
        return rows

    @admin.display(description="Scores")
    def scores(self, case: Case) -> str:
        return pretty_json({"text": case.text_verdict, "image": case.image_verdict})

    @admin.display(description="Likeness matches")
    def likeness(self, case: Case) -> str:
        return pretty_json(case.likeness_matches) if case.likeness_matches else "None"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        decide = path("<int:case_id>/decide/", self.admin_site.admin_view(self.decide_view), name="moderation_case_decide")
        return [decide, *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "decision_form": DecisionForm(),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request: HttpRequest, case_id: int) -> HttpResponseRedirect:
        case = get_object_or_404(Case, pk=case_id)
        back = reverse("admin:moderation_case_change", args=[case.pk])
        form = DecisionForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, "Choose a decision and write a note.")
            return HttpResponseRedirect(back)
        try:
            services.decide(case=case, moderator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(back)
        messages.success(request, f"{case}: {Decision(form.cleaned_data['decision']).label.lower()}d.")
        return HttpResponseRedirect(reverse("admin:moderation_case_changelist"))


@admin.register(AuditLogEntry)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "action", "target", "note")
    list_filter = ("action", "created_at")
    search_fields = ("actor_name", "target", "note")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReferencePhotoForm(forms.ModelForm):
    upload = forms.FileField(help_text="A photo showing exactly one face of this person.")

    class Meta:
        model = ReferencePhoto
        fields = ["upload"]


class ReferencePhotoInline(admin.TabularInline):
    model = ReferencePhoto
    form = ReferencePhotoForm
    extra = 1
    fields = ("thumbnail", "upload")
    readonly_fields = ("thumbnail",)

    @admin.display(description="Photo")
    def thumbnail(self, photo: ReferencePhoto) -> str:
        return format_html('<img src="{}" width="80">', photo.image.url) if photo.image else ""

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProtectedPerson)
class ProtectedPersonAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "photo_count", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)
    inlines = [ReferencePhotoInline]

    @admin.display(description="Reference photos")
    def photo_count(self, person: ProtectedPerson) -> int:
        return person.photos.count()

    def save_formset(self, request, form, formset, change) -> None:
        """New reference photos go through the service, which computes and checks the embedding."""
        if formset.model is not ReferencePhoto:
            return super().save_formset(request, form, formset, change)
        for photo_form in formset.forms:
            upload = photo_form.cleaned_data.get("upload") if photo_form.has_changed() else None
            if upload:
                try:
                    services.add_reference_photo(person=form.instance, image=upload.read(), actor=request.user)
                except (ValidationError, ValueError) as exc:
                    messages.error(request, f"{upload.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        formset.save(commit=False)
        for deleted in formset.deleted_objects:
            deleted.delete()


@admin.register(UsageCounter)
class UsageCounterAdmin(admin.ModelAdmin):
    list_display = ("day", "user", "action", "count")
    list_filter = ("action", "day")
    search_fields = ("user__username",)
    readonly_fields = ("user", "action", "day", "count")

    def has_add_permission(self, request) -> bool:
        return False
