"""Reported posts and comments in the review queue: moderators read them in the admin and take them down."""

import pytest

from feed.models import Comment, Post
from moderation.models import AuditLogEntry, Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_superuser("mod", "mod@example.com", "a-Long-passw0rd")


def test_a_reported_post_is_taken_down_from_the_review_queue(client, client_for, owner, other_user, moderator, post):
    client_for(other_user).post(f"/api/posts/{post.pk}/report/", {"reason": "rights", "details": "My song"})
    case = Case.objects.get(is_open=True)
    client.force_login(moderator)
    page = client.get(f"/admin/moderation/case/{case.pk}/change/").content.decode()
    assert "Maiden voyage" in page and "Captain Nova" in page and post.clip.poster.name in page
    response = client.post(
        f"/admin/moderation/case/{case.pk}/decide/", {"decision": "take_down", "note": "Uses a song without rights"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.moderation_state == "taken_down" and post.tombstone_reason == "Taken down by the moderators."
    assert client_for().get("/api/feed/?kind=new").json()["results"] == []
    assert client_for().get("/api/posts/?tag=pirates").json()["results"] == []
    assert client_for(owner).get(f"/api/posts/{post.pk}/").json()["moderation"]["reason"] == "Uses a song without rights"
    assert AuditLogEntry.objects.filter(action="take_down").exists()


def test_a_reported_comment_is_removed_by_a_moderator(client, client_for, owner, other_user, moderator, post):
    comment = client_for(other_user).post(f"/api/posts/{post.pk}/comments/", {"text": "Buy cheap watches"}, format="json")
    client_for(owner).post(f"/api/comments/{comment.json()['id']}/report/", {"reason": "spam"})
    case = Case.objects.get(is_open=True)
    client.force_login(moderator)
    assert "Buy cheap watches" in client.get(f"/admin/moderation/case/{case.pk}/change/").content.decode()
    client.post(f"/admin/moderation/case/{case.pk}/decide/", {"decision": "reject", "note": "Spam"})
    assert Comment.objects.get().moderation_state == "rejected"
    assert client_for().get(f"/api/posts/{post.pk}/comments/").json()["results"] == []
    assert Post.objects.get(pk=post.pk).comment_count == 0
