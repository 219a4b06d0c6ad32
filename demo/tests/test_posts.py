"""The run command's demo posts: real clips of the demo characters, posted once."""

import pytest

from demo.characters import load_demo_content
from demo.posts import load_demo_posts
from feed.models import Post

pytestmark = pytest.mark.django_db


def test_demo_posts_are_real_clips_made_once():
    load_demo_content()
    made = load_demo_posts()
    assert len(made) == 4
    assert all(post.is_live and post.clip.duration > 1 and post.clip.provenance["ai_generated"] for post in made)
    assert "friend" in made[0].clip.job.script and "{{user}}" not in made[0].clip.job.script
    assert load_demo_posts() == []
    assert Post.objects.count() == 4
