"""Likes, comments with one level of replies, reports and follows through the API."""

import pytest

from feed.models import Comment, Follow, Like, Post
from moderation.models import Case, ModerationState, Report

pytestmark = pytest.mark.django_db


def test_like_and_unlike_are_idempotent(client_for, other_user, post):
    client = client_for(other_user)
    url = f"/api/posts/{post.pk}/like/"
    assert client.post(url).json() == {"liked": True, "like_count": 1}
    assert client.post(url).json() == {"liked": True, "like_count": 1}
    assert client.get(f"/api/posts/{post.pk}/").json()["liked"] is True
    before = Post.objects.get(pk=post.pk).hot_score
    assert client.delete(url).json() == {"liked": False, "like_count": 0}
    assert client.delete(url).json() == {"liked": False, "like_count": 0}
    assert Post.objects.get(pk=post.pk).hot_score < before
    assert client_for().post(url).status_code == 401
    assert not Like.objects.exists()


def test_comments_and_one_level_of_replies(client_for, owner, other_user, post):
    client = client_for(other_user)
    url = f"/api/posts/{post.pk}/comments/"
    first = client.post(url, {"text": "Lovely voice!"}, format="json").json()
    reply = client_for(owner).post(url, {"text": "Thank you", "parent": first["id"]}, format="json").json()
    nested = client.post(url, {"text": "You're welcome", "parent": reply["id"]}, format="json").json()
    assert reply["parent"] == first["id"] and nested["parent"] == first["id"]  # replies to replies join the thread
    thread = client_for().get(url).json()["results"]
    assert [comment["text"] for comment in thread] == ["Lovely voice!"]
    assert [reply["text"] for reply in thread[0]["replies"]] == ["Thank you", "You're welcome"]
    assert Post.objects.get(pk=post.pk).comment_count == 3


@pytest.mark.parametrize("payload", [{"text": ""}, {"text": "   "}, {"text": "x" * 1001}, {"text": "a\x00b"}, {"parent": 999}])
def test_bad_comments_are_refused(client_for, other_user, post, payload):
    response = client_for(other_user).post(f"/api/posts/{post.pk}/comments/", {"text": "ok", **payload}, format="json")
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_comment_text_is_moderated_on_write(client_for, owner, other_user, post):
    url = f"/api/posts/{post.pk}/comments/"
    blocked = client_for(other_user).post(url, {"text": "I will kill you, I know where you live"}, format="json")
    assert blocked.status_code == 400 and blocked.json()["code"] == "content_blocked"
    held = client_for(other_user).post(url, {"text": "You are a pathetic worthless loser"}, format="json")
    assert held.status_code == 201 and held.json()["held"] is True
    assert Case.objects.get(object_id=held.json()["id"]).is_open
    assert client_for(owner).get(url).json()["results"] == []
    assert [c["id"] for c in client_for(other_user).get(url).json()["results"]] == [held.json()["id"]]
    assert Post.objects.get(pk=post.pk).comment_count == 0


def test_who_may_delete_a_comment(client_for, owner, other_user, make_user, post):
    url = f"/api/posts/{post.pk}/comments/"
    stranger = make_user("stranger")
    by_other = client_for(other_user).post(url, {"text": "First!"}, format="json").json()
    client_for(owner).post(url, {"text": "Welcome", "parent": by_other["id"]}, format="json")
    second = client_for(other_user).post(url, {"text": "Second"}, format="json").json()
    assert client_for(stranger).delete(f"/api/comments/{by_other['id']}/").status_code == 403
    assert client_for(other_user).delete(f"/api/comments/{second['id']}/").status_code == 204
    assert client_for(owner).delete(f"/api/comments/{by_other['id']}/").status_code == 204  # the post's owner; replies go too
    assert not Comment.objects.exists()
    assert Post.objects.get(pk=post.pk).comment_count == 0


def test_reports_join_the_review_queue(client_for, owner, other_user, post):
    comment = client_for(owner).post(f"/api/posts/{post.pk}/comments/", {"text": "Hi"}, format="json").json()
    assert client_for(other_user).post(f"/api/posts/{post.pk}/report/", {"reason": "spam"}).status_code == 201
    assert client_for(other_user).post(f"/api/comments/{comment['id']}/report/", {"reason": "hateful"}).status_code == 201
    again = client_for(other_user).post(f"/api/posts/{post.pk}/report/", {"reason": "spam"})
    assert again.status_code == 400
    assert client_for(owner).post(f"/api/posts/{post.pk}/report/", {"reason": "spam"}).status_code == 400
    assert client_for().post(f"/api/posts/{post.pk}/report/", {"reason": "spam"}).status_code == 401
    assert client_for(other_user).post(f"/api/posts/{post.pk}/report/", {"reason": "boring"}).status_code == 400
    assert Case.objects.filter(is_open=True).count() == 2
    assert Report.objects.count() == 2


def test_follow_unfollow(client_for, owner, other_user):
    url = f"/api/users/{owner.username}/follow/"
    assert client_for(other_user).post(url).json() == {"following": True, "followers": 1}
    assert client_for(other_user).post(url).json() == {"following": True, "followers": 1}
    assert client_for(other_user).delete(url).json() == {"following": False, "followers": 0}
    assert client_for(owner).post(url).status_code == 400
    assert client_for().post(url).status_code == 401
    assert client_for(other_user).post("/api/users/nobody/follow/").status_code == 404
    assert not Follow.objects.exists()


def test_a_taken_down_post_refuses_likes_and_comments(client_for, owner, other_user, post):
    Post.objects.filter(pk=post.pk).update(moderation_state=ModerationState.TAKEN_DOWN, moderation_reason="Spam")
    assert client_for(other_user).post(f"/api/posts/{post.pk}/like/").status_code == 404
    owner_view = client_for(owner).get(f"/api/posts/{post.pk}/").json()
    assert owner_view["moderation"] == {"state": "taken_down", "reason": "Spam", "tombstone": "Taken down by the moderators."}
    gone = client_for(owner).post(f"/api/posts/{post.pk}/comments/", {"text": "Why?"}, format="json")
    assert gone.status_code == 410 and gone.json()["code"] == "post_unavailable"
