"""Moderation: one case per moderated item, with its reports, appeal and an append-only audit log.

Cases point at items through a generic relation, so this app imports nothing of the apps it
moderates; those apps make their models moderatable by inheriting `Moderated`.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ModerationState(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HELD = "held", "Held for review"
    REJECTED = "rejected", "Rejected"
    TAKEN_DOWN = "taken_down", "Taken down"


APPEALABLE_STATES = (ModerationState.REJECTED, ModerationState.TAKEN_DOWN)


class Moderated(models.Model):
    """Fields every moderatable item carries; hidden states are seen by the owner and staff only."""

    moderation_state = models.CharField(
        max_length=12, choices=ModerationState.choices, default=ModerationState.VISIBLE, db_index=True
    )
    moderation_reason = models.TextField(blank=True, help_text="Shown to the owner.")
    # Deleting an item deletes its case; the audit log keeps the history.
    moderation_cases = GenericRelation("moderation.Case")

    class Meta:
        abstract = True

    def moderation_owner_id(self) -> int:
        """The id of the user who owns the item and may appeal."""
        raise NotImplementedError

    def moderation_preview(self) -> dict[str, str]:
        """Named text fields a moderator reads in the queue."""
        raise NotImplementedError

    def moderation_image_url(self) -> str:
        return ""


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    TAKE_DOWN = "take_down", "Take down"


class Trigger(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic flag"
    REPORT = "report", "User report"
    APPEAL = "appeal", "Appeal"


class Case(models.Model):
    """The review-queue entry of one item: open while it waits for a moderator."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    item_label = models.CharField(max_length=200, help_text="What the item was called when the case last changed.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="moderation_cases")
    is_open = models.BooleanField(default=True, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    text_verdict = models.JSONField(default=dict, blank=True)
    image_verdict = models.JSONField(default=dict, blank=True)
    likeness_matches = models.JSONField(default=list, blank=True)
    flag_reason = models.TextField(blank=True, help_text="Why the case was opened automatically.")
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_open", "-updated_at"]
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="one_case_per_item")]
        indexes = [models.Index(fields=["is_open", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.content_type.model} “{self.item_label}”"


class ReportReason(models.TextChoices):
    VIOLENT = "violent", "Violent or abusive"
    HATEFUL = "hateful", "Hateful"
    SEXUAL = "sexual", "Sexual"
    SELF_HARM = "self_harm", "Self-harm"
    SPAM = "spam", "Spam or misleading"
    PRIVACY = "privacy", "Privacy or impersonation"
    RIGHTS = "rights", "Rights (copyright, trademark)"
    OTHER = "other", "Other"


class Report(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    reason = models.CharField(max_length=10, choices=ReportReason.choices)
    details = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} report by {self.reporter}"


class Appeal(models.Model):
    """An owner's one request to reconsider; one per case, so one per item."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="appeal")
    message = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Appeal of {self.case}"


class AuditLogEntry(models.Model):
    """Who did what to which item, when, why, and the state before and after. Append-only."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, help_text="Kept when the account is gone; 'system' for automatic actions.")
    action = models.CharField(max_length=40)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    target = models.CharField(max_length=250)
    note = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit log entries cannot be deleted.")


class ProtectedPerson(models.Model):
    """A public figure whose likeness portraits may not borrow without review."""

    name = models.CharField(max_length=120)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "protected people"

    def __str__(self) -> str:
        return self.name


class ReferencePhoto(models.Model):
    person = models.ForeignKey(ProtectedPerson, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="moderation/likeness/")
    embedding = models.JSONField(default=list, help_text="128-d face embedding, computed when the photo is added.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Reference photo of {self.person}"


class UsageCounter(models.Model):
    """How often a user did a metered action on a day (UTC), for daily quotas."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=40)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "action", "day"], name="one_counter_per_user_action_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.action} × {self.count} on {self.day}"
