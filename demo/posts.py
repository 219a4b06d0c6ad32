"""Demo posts: one clip of each demo character, made by the real pipeline, so a fresh feed is not empty."""

import logging

from characters.models import Character
from demo.characters import DEMO_USERNAME
from feed import services
from feed.models import Post
from generation import services as generation
from generation.models import JobStatus
from generation.services import worker

logger = logging.getLogger(__name__)


def demo_script(character: Character) -> str:
    """The character's greeting, addressed to a viewer rather than a chat partner."""
    return character.greeting.replace("{{user}}", "friend").replace("{{char}}", character.name)


def load_demo_posts() -> list[Post]:
    """Post a clip of every demo character that has none yet; safe to run again."""
    made = []
    posted = set(Post.objects.filter(owner__username=DEMO_USERNAME).values_list("character_id", flat=True))
    for character in Character.objects.filter(owner__username=DEMO_USERNAME).select_related("owner").order_by("id"):
        if character.pk in posted or not character.greeting:
            continue
        job = generation.request_clip(user=character.owner, character=character, text=demo_script(character), enqueue=False)
        if worker.run_job(job_id=job.pk, task_id=job.task_id) != JobStatus.SUCCEEDED:
            logger.warning("The demo clip of %s could not be made; the feed starts without it.", character.name)
            continue
        job.refresh_from_db()
        tags = [tag.name for tag in character.tags.all()]
        made.append(
            services.create_post(user=character.owner, clip=job.clip, caption=character.tagline, tags=tags, visibility="public")
        )
    return made
