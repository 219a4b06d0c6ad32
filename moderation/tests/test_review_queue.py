"""Reports, appeals, moderator decisions with their audit trail, and daily quotas, through HTTP and services."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from characters.models import Character
from moderation import services
from moderation.models import AuditLogEntry, Case, ModerationState, Trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_character(make_character):
    """A character the checks held for review, as the screening would leave it."""
    character = make_character("Doubtful", tagline="borderline")
    screening = services.Screening()
    screening.hold("Held for review: test.")
    screening.text_verdict = {"decision": "review", "categories": ["violence/graphic"]}
    services.apply_screening(character, screening)
    character.save()
    services.record_screening(item=character, screening=screening)
    return character


def test_held_character_is_hidden_from_everyone_but_owner_and_staff(held_character, client_for, owner, other_user, staff_user):
    url = f"/api/characters/{held_character.slug}/"
    assert client_for().get(url).status_code == 404
    assert client_for(other_user).get(url).status_code == 404
    mine = client_for(owner).get(url).json()
    assert mine["moderation"] == {"state": "held", "reason": "Held for review: test.", "can_appeal": False}
    assert client_for(staff_user).get(url).status_code == 200
    assert "Doubtful" not in [c["name"] for c in client_for().get("/api/characters/").json()["results"]]
    case = Case.objects.get()
    assert case.is_open and case.trigger == Trigger.AUTOMATIC and case.text_verdict["decision"] == "review"


def test_moderation_status_is_not_shown_to_others(make_character, client_for, other_user):
    character = make_character("Fine")
    assert client_for(other_user).get(f"/api/characters/{character.slug}/").json()["moderation"] is None


def test_report_flow_and_limits(make_character, client_for, owner, other_user, staff_user):
    character = make_character("Reported")
    url = f"/api/characters/{character.slug}/report/"
    assert client_for().post(url, {"reason": "spam"}, format="json").status_code == 401
    assert client_for(other_user).post(url, {"reason": "nonsense"}, format="json").status_code == 400
    made = client_for(other_user).post(url, {"reason": "hateful", "details": "slurs in the greeting"}, format="json")
    assert made.status_code == 201
    again = client_for(other_user).post(url, {"reason": "hateful"}, format="json")
    assert again.status_code == 400 and "already" in again.json()["detail"]
    assert client_for(owner).post(url, {"reason": "spam"}, format="json").status_code == 400
    case = Case.objects.get()
    assert case.is_open and case.trigger == Trigger.REPORT and case.reports.count() == 1
    assert AuditLogEntry.objects.filter(action="report", actor=other_user).exists()


def test_take_down_appeal_and_approve_with_audit_trail(make_character, client_for, owner, other_user, staff_user):
    character = make_character("Contested")
    client_for(other_user).post(f"/api/characters/{character.slug}/report/", {"reason": "violent"}, format="json")
    case = Case.objects.get()
    services.decide(case=case, moderator=staff_user, decision="take_down", note="Threatens a real person.")
    character.refresh_from_db()
    assert character.moderation_state == ModerationState.TAKEN_DOWN
    assert client_for(other_user).get(f"/api/characters/{character.slug}/").status_code == 404
    status = client_for(owner).get(f"/api/characters/{character.slug}/").json()["moderation"]
    assert status == {"state": "taken_down", "reason": "Threatens a real person.", "can_appeal": True}

    appeal_url = f"/api/characters/{character.slug}/appeal/"
    assert client_for(other_user).post(appeal_url, {"message": "mine!"}, format="json").status_code == 404
    assert client_for(owner).post(appeal_url, {"message": "It is fiction."}, format="json").status_code == 201
    second = client_for(owner).post(appeal_url, {"message": "Please?"}, format="json")
    assert second.status_code == 400 and "once" in second.json()["detail"]
    case.refresh_from_db()
    assert case.is_open and case.trigger == Trigger.APPEAL

    services.decide(case=case, moderator=staff_user, decision="approve", note="Reviewed the appeal: fiction.")
    character.refresh_from_db()
    assert character.moderation_state == ModerationState.VISIBLE and character.moderation_reason == ""
    assert client_for().get(f"/api/characters/{character.slug}/").status_code == 200
    entries = list(AuditLogEntry.objects.filter(case=case).order_by("created_at", "id").values_list("action", "actor_name"))
    assert entries == [("report", "other"), ("take_down", "staff"), ("appeal", "owner"), ("approve", "staff")]
    approval = AuditLogEntry.objects.get(action="approve")
    assert approval.before == {"state": "taken_down", "reason": "Threatens a real person."}
    assert approval.after == {"state": "visible", "reason": ""}
    assert approval.note == "Reviewed the appeal: fiction."


def test_decisions_need_staff_and_a_note(held_character, other_user, staff_user):
    case = Case.objects.get()
    with pytest.raises(PermissionDenied):
        services.decide(case=case, moderator=other_user, decision="approve", note="ok")
    with pytest.raises(ValidationError):
        services.decide(case=case, moderator=staff_user, decision="approve", note="  ")
    with pytest.raises(ValidationError):
        services.decide(case=case, moderator=staff_user, decision="delete_everything", note="x")
    held_character.refresh_from_db()
    assert held_character.moderation_state == ModerationState.HELD


def test_audit_log_cannot_be_changed(held_character, client, staff_user, django_user_model):
    entry = AuditLogEntry.objects.get()
    entry.note = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-Long-passw0rd")
    client.force_login(admin)
    change_url = reverse("admin:moderation_auditlogentry_change", args=[entry.pk])
    assert client.post(change_url, {"note": "rewritten"}).status_code == 403
    assert client.post(reverse("admin:moderation_auditlogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditLogEntry.objects.get().note != "rewritten"


def test_admin_queue_lists_and_decides(held_character, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-Long-passw0rd")
    client.force_login(admin)
    case = Case.objects.get()
    listing = client.get(reverse("admin:moderation_case_changelist") + "?is_open__exact=1")
    assert listing.status_code == 200 and "Doubtful" in listing.content.decode()
    page = client.get(reverse("admin:moderation_case_change", args=[case.pk])).content.decode()
    assert "borderline" in page and "violence/graphic" in page and "Record decision" in page
    refused = client.post(reverse("admin:moderation_case_decide", args=[case.pk]), {"decision": "approve", "note": ""})
    assert refused.status_code == 302
    held_character.refresh_from_db()
    assert held_character.moderation_state == ModerationState.HELD
    client.post(reverse("admin:moderation_case_decide", args=[case.pk]), {"decision": "reject", "note": "Too graphic."})
    held_character.refresh_from_db()
    assert held_character.moderation_state == ModerationState.REJECTED and held_character.moderation_reason == "Too graphic."
    assert AuditLogEntry.objects.filter(action="reject", actor=admin, note="Too graphic.").exists()


def test_deleting_an_item_keeps_its_audit_history(held_character, owner):
    from characters import services as character_services

    character_services.delete_character(character=held_character, actor=owner)
    assert not Case.objects.exists()
    assert AuditLogEntry.objects.filter(action="flag", target__contains="Doubtful").exists()


def test_daily_quota(owner, other_user):
    today = datetime.date(2026, 11, 22)
    left = [services.consume_quota(user=owner, action="clip", limit=5, today=today) for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(services.QuotaExceeded, match="5 clips"):
        services.consume_quota(user=owner, action="clip", limit=5, today=today)
    assert services.consume_quota(user=owner, action="clip", limit=5, today=today + datetime.timedelta(days=1)) == 4
    assert services.consume_quota(user=other_user, action="clip", limit=5, today=today) == 4


def test_character_pages_show_status_and_take_reports(held_character, make_character, client, owner, other_user):
    client.force_login(owner)
    page = client.get(f"/c/{held_character.slug}/").content.decode()
    assert "Held for review" in page and "Only you can see it" in page
    visible = make_character("Open")
    client.force_login(other_user)
    response = client.post(f"/c/{visible.slug}/report/", {"reason": "spam", "details": "ads"})
    assert response.status_code == 302
    assert Case.objects.filter(object_id=visible.pk, is_open=True).exists()
    assert client.get(f"/c/{held_character.slug}/").status_code == 404


def test_appeal_page_once(make_character, client, owner, staff_user):
    character = make_character("Appealed")
    case = services.case_for(character)
    services.decide(case=case, moderator=staff_user, decision="take_down", note="Spam.")
    client.force_login(owner)
    assert "Appeal" in client.get(f"/c/{character.slug}/").content.decode()
    client.post(f"/c/{character.slug}/appeal/", {"message": "Not spam."})
    assert "Appeal</button>" not in client.get(f"/c/{character.slug}/").content.decode()
    assert Character.objects.get(pk=character.pk).moderation_state == ModerationState.TAKEN_DOWN
