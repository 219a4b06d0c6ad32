"""Every moderation write: screening items before they are saved, cases, reports, appeals,
moderator decisions with their audit trail, the likeness gallery and daily quotas."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from common.errors import ApplicationError
from imaging import sanitize_image
from moderation import selectors
from moderation.images import likeness
from moderation.images import portrait as portrait_check
from moderation.models import (
    APPEALABLE_STATES,
    Appeal,
    AuditLogEntry,
    Case,
    Decision,
    Moderated,
    ModerationState,
    ProtectedPerson,
    ReferencePhoto,
    Report,
    Trigger,
    UsageCounter,
)
from moderation.text import classify as text_check
from provenance import manifest

SYSTEM = "system"
DECISION_STATES = {
    Decision.APPROVE: ModerationState.VISIBLE,
    Decision.REJECT: ModerationState.REJECTED,
    Decision.TAKE_DOWN: ModerationState.TAKEN_DOWN,
}


SELF_HARM_CATEGORIES = frozenset({"self-harm", "self-harm/intent", "self-harm/instructions"})
SUPPORT_MESSAGE = (
    "It sounds like you may be going through something really hard. You don't have to face it alone: "
    "people at these services are there to listen, day and night."
)
SUPPORT_REFUSAL = "We can't post this text, but you can reach someone right now:"


class ContentBlocked(ApplicationError):
    """Content refused outright; the message says what to change. Self-harm refusals also carry crisis support."""

    code = "content_blocked"

    def __init__(self, message: str, *, categories: list[str], about_image: bool = False) -> None:
        self.support = crisis_support() if SELF_HARM_CATEGORIES & set(categories) else None
        # For self-harm the person matters more than the rule: no category list, no "rewrite it".
        super().__init__(f"{SUPPORT_MESSAGE} {SUPPORT_REFUSAL}" if self.support else message)
        self.categories = categories
        self.about_image = about_image

    @property
    def messages(self) -> list[str]:
        """Pages show the message and, for self-harm, one line per crisis service."""
        resources = self.support["resources"] if self.support else []
        return [self.message, *(f"{r['name']}: {r['contact']} ({r['url']})." for r in resources)]

    def payload(self) -> dict[str, Any]:
        extra = {"support": self.support} if self.support else {}
        return {**super().payload(), "categories": self.categories, **extra}


def crisis_support(locale: str | None = None) -> dict[str, Any]:
    """What a self-harm refusal shows: a caring line and the crisis services of the operator's locale (CRISIS_RESOURCES)."""
    resources = settings.CRISIS_RESOURCES
    locale = (locale or settings.LANGUAGE_CODE).lower()
    chosen = resources.get(locale) or resources.get(locale.split("-")[0]) or resources["default"]
    return {"message": SUPPORT_MESSAGE, "resources": list(chosen)}


class QuotaExceeded(ApplicationError):
    """The user used up today's allowance of a metered action."""

    code = "quota_exceeded"
    status = 429


@dataclass
class Screening:
    """What the automatic checks concluded about an item about to be saved."""

    state: str = ModerationState.VISIBLE
    reasons: list[str] = field(default_factory=list)
    text_verdict: dict = field(default_factory=dict)
    image_verdict: dict = field(default_factory=dict)
    likeness_matches: list = field(default_factory=list)

    def hold(self, reason: str) -> None:
        self.state = ModerationState.HELD
        self.reasons.append(reason)


def screen_text(screening: Screening, fields: dict[str, str]) -> None:
    """Block refuses the save; review holds the item for a moderator."""
    verdict = text_check.classify_fields({name: value for name, value in fields.items() if value})
    screening.text_verdict = verdict.to_dict()
    if verdict.decision == "block":
        categories = ", ".join(verdict.categories)
        raise ContentBlocked(
            f"This can't be published ({categories}): {'; '.join(verdict.reasons)}. Please rewrite it.",
            categories=list(verdict.categories),
        )
    if verdict.decision == "review":
        screening.hold(f"Held for review: the text may break the rules ({', '.join(verdict.categories)}).")


def require_clear_text(text_fields: dict[str, str], *, what: str) -> None:
    """Text shown publicly with no moderator in between (clip scripts, profiles): refuse what the check blocks
    and what it would hold for review, with the categories, so the author can rephrase."""
    screening = screen(text_fields=text_fields)
    if screening.state != ModerationState.VISIBLE:
        categories = list(screening.text_verdict.get("categories", []))
        raise ContentBlocked(
            f"{what} may break the rules ({', '.join(categories) or 'unclear'}). It is public without a moderator's "
            "review, so it must pass the checks. Please rephrase it.",
            categories=categories,
        )


def screen_portrait(screening: Screening, portrait: bytes, *, attested_own_likeness: bool) -> None:
    """Real-person photos are refused unless attested; attested photos and protected likenesses wait for review."""
    verdict = portrait_check.check_portrait(portrait, attested_own_likeness=attested_own_likeness)
    screening.image_verdict = verdict.to_dict()
    if verdict.decision == "block":
        raise ContentBlocked(
            " ".join(verdict.reasons) + " Photos of real people are not allowed as portraits, unless it is you and you say so.",
            categories=["real_person_photo"],
            about_image=True,
        )
    if verdict.decision == "review":
        screening.hold("Held for review: the portrait looks like a photo of a real person.")
    # Both checks find faces with the same detector: no face, or no one to resemble, means no match.
    gallery = selectors.likeness_gallery() if verdict.faces else []
    matches = likeness.match_faces(portrait, gallery, threshold=settings.LIKENESS_DISTANCE_THRESHOLD) if gallery else []
    if matches:
        screening.likeness_matches = [match.to_dict() for match in matches]
        screening.hold("Held for review: the portrait resembles a protected public figure.")


def screen(*, text_fields: dict[str, str], portrait: bytes | None = None, attested_own_likeness: bool = False) -> Screening:
    """Run every check that applies; raises ContentBlocked before anything is stored."""
    screening = Screening()
    screen_text(screening, text_fields)
    if portrait is not None:
        screen_portrait(screening, portrait, attested_own_likeness=attested_own_likeness)
    return screening


def state_after_screening(item: Moderated, screening: Screening) -> str:
    """A held, rejected or taken-down item keeps its state when edited; only a moderator lifts it."""
    if item.pk and item.moderation_state != ModerationState.VISIBLE:
        return item.moderation_state
    return screening.state


def apply_screening(item: Moderated, screening: Screening) -> None:
    """Set the item's state before it is saved."""
    item.moderation_state = state_after_screening(item, screening)
    if screening.reasons and item.moderation_state == ModerationState.HELD:
        item.moderation_reason = " ".join(screening.reasons)


def case_for(item: Moderated) -> Case:
    """The item's one case, created closed on first need."""
    content_type = ContentType.objects.get_for_model(item)
    case, _ = Case.objects.get_or_create(
        content_type=content_type,
        object_id=item.pk,
        defaults={
            "owner_id": item.moderation_owner_id(),
            "item_label": str(item)[:200],
            "trigger": Trigger.AUTOMATIC,
            "is_open": False,  # the caller opens it, saying why
        },
    )
    return case


def record_screening(*, item: Moderated, screening: Screening) -> Case | None:
    """After the save: a held item opens (or re-opens) its case in the review queue."""
    if not screening.reasons:
        return None
    case = case_for(item)
    case.is_open = True
    case.trigger = Trigger.AUTOMATIC
    case.item_label = str(item)[:200]
    case.flag_reason = " ".join(screening.reasons)
    case.text_verdict = screening.text_verdict
    case.image_verdict = screening.image_verdict
    case.likeness_matches = screening.likeness_matches
    case.save()
    write_audit(actor=None, action="flag", case=case, note=case.flag_reason, after={"state": item.moderation_state})
    return case


def write_audit(
    *, actor, action: str, case: Case | None, note: str = "", before: dict | None = None, after: dict | None = None
) -> None:
    AuditLogEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else SYSTEM,
        action=action,
        case=case,
        target=str(case) if case else "",
        note=note,
        before=before or {},
        after=after or {},
    )


@transaction.atomic
def report(*, item: Moderated, reporter, reason: str, details: str = "") -> Report:
    """A signed-in user reports an item; it joins the review queue. One open report per user and item."""
    if item.moderation_owner_id() == reporter.pk:
        raise ValidationError("You can't report your own content.")
    case = case_for(item)
    if case.reports.filter(reporter=reporter, created_at__gte=case.decided_at or case.created_at).exists():
        raise ValidationError("You have already reported this; a moderator will look at it.")
    new_report = Report(case=case, reporter=reporter, reason=reason, details=details.strip())
    new_report.full_clean(exclude=["case", "reporter"])
    new_report.save()
    if not case.is_open:
        case.is_open, case.trigger = True, Trigger.REPORT
    case.item_label = str(item)[:200]
    case.save()
    write_audit(actor=reporter, action="report", case=case, note=f"{new_report.get_reason_display()}: {new_report.details}")
    return new_report


@transaction.atomic
def appeal(*, item: Moderated, owner, message: str) -> Appeal:
    """The owner asks once to reconsider a rejection or take-down; the case re-opens."""
    if item.moderation_owner_id() != owner.pk:
        raise PermissionDenied("Only the owner can appeal.")
    if item.moderation_state not in APPEALABLE_STATES:
        raise ValidationError("Only rejected or taken-down content can be appealed.")
    case = case_for(item)
    if Appeal.objects.filter(case=case).exists():
        raise ValidationError("This has already been appealed once.")
    new_appeal = Appeal(case=case, message=message.strip())
    new_appeal.full_clean(exclude=["case"])
    try:
        with transaction.atomic():
            new_appeal.save()
    except IntegrityError:
        raise ValidationError("This has already been appealed once.") from None
    case.is_open, case.trigger = True, Trigger.APPEAL
    case.save()
    write_audit(actor=owner, action="appeal", case=case, note=new_appeal.message)
    return new_appeal


@transaction.atomic
def decide(*, case: Case, moderator, decision: str, note: str) -> Case:
    """A moderator's approve / reject / take down: sets the item's state and writes the audit row."""
    if not moderator.is_staff:
        raise PermissionDenied("Only moderators decide cases.")
    if decision not in DECISION_STATES:
        raise ValidationError(f"Unknown decision {decision!r}.")
    if not note.strip():
        raise ValidationError("Say why: the note is shown in the audit log.")
    item = case.content_type.get_object_for_this_type(pk=case.object_id)
    before = {"state": item.moderation_state, "reason": item.moderation_reason}
    item.moderation_state = DECISION_STATES[decision]
    item.moderation_reason = "" if decision == Decision.APPROVE else note.strip()
    item.save(update_fields=["moderation_state", "moderation_reason"])
    case.is_open = False
    case.decision, case.decision_note = decision, note.strip()
    case.decided_by, case.decided_at = moderator, timezone.now()
    case.item_label = str(item)[:200]
    case.save()
    after = {"state": item.moderation_state, "reason": item.moderation_reason}
    write_audit(actor=moderator, action=decision, case=case, note=note.strip(), before=before, after=after)
    return case


@transaction.atomic
def add_reference_photo(*, person: ProtectedPerson, image: bytes, actor) -> ReferencePhoto:
    """Store a gallery photo with its face embedding; a photo without exactly one face is refused."""
    sanitized = sanitize_image(image)
    embeddings = likeness.face_embeddings(sanitized.image)
    if len(embeddings) != 1:
        raise ValidationError(f"A reference photo must show exactly one face; found {len(embeddings)}.")
    photo = ReferencePhoto(person=person, embedding=[float(value) for value in embeddings[0]])
    photo.image.save(f"{person.pk}.jpg", ContentFile(sanitized.image), save=False)
    photo.save()
    write_audit(actor=actor, action="add_reference_photo", case=None, note=person.name, after={"person": person.pk})
    return photo


def signing_identity() -> manifest.SigningIdentity:
    """The operator's C2PA certificate when configured, else the development chain (made once under var/)."""
    if settings.C2PA_CERT_CHAIN:
        root = Path(settings.C2PA_TRUST_ROOT) if settings.C2PA_TRUST_ROOT else None
        return manifest.operator_identity(Path(settings.C2PA_CERT_CHAIN), Path(settings.C2PA_PRIVATE_KEY), root)
    return manifest.dev_identity(settings.C2PA_DEV_DIR)


def consume_quota(*, user, action: str, limit: int, today: date | None = None) -> int:
    """Count one use of a metered action; returns what is left today, or raises QuotaExceeded."""
    day = today or timezone.now().date()
    with transaction.atomic():
        counter, _ = UsageCounter.objects.select_for_update().get_or_create(user=user, action=action, day=day)
        if counter.count >= limit:
            raise QuotaExceeded(f"You have used today's {limit} {action}s; the allowance renews at midnight UTC.")
        UsageCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
    return limit - counter.count - 1


def release_quota(*, user_id: int, action: str, day: date) -> None:
    """Give back one use of a metered action, e.g. for work the platform failed to deliver."""
    UsageCounter.objects.filter(user_id=user_id, action=action, day=day, count__gt=0).update(count=F("count") - 1)
