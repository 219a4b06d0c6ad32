"""Keep counters right when moderation changes a comment's state (moderation knows nothing of the feed)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from feed import services
from feed.models import Comment


@receiver(post_save, sender=Comment, dispatch_uid="feed-recount-on-moderation")
def recount_after_moderation(sender, instance: Comment, update_fields=None, **kwargs) -> None:
    """A moderator's approval or rejection changes which comments everyone sees, so the count follows."""
    if update_fields and "moderation_state" in update_fields:
        services.recount_comments(instance.post_id)
