"""Posting clips and reading posts through the API: who may post, see, edit and delete what."""

from urllib.parse import urlparse

import pytest
from rest_framework.request import Request
from rest_framework.serializers import ModelSerializer

from feed import selectors, services
from feed.models import Post
from feed.serializers import PostSerializer
from moderation.models import Case, ModerationState

pytestmark = pytest.mark.django_db


def test_post_a_clip(client_for, owner, make_clip):
    clip = make_clip()
    response = client_for(owner).post(
        "/api/posts/", {"clip": str(clip.pk), "caption": "  First light  ", "tags": ["Sea", "sea, sky"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["caption"] == "First light"
    assert body["tags"] == ["sea", "sky"]
    assert body["ai_generated"] is True
    assert body["character"]["name"] == "Captain Nova"
    assert body["character"]["page"].startswith("/c/captain-nova")
    assert urlparse(body["clip"]["video"]).path.endswith("/video.mp4") and body["clip"]["duration"] == 1.5  # S3 URLs are signed
    assert body["moderation"]["state"] == "visible"
    assert body["visibility"] == "public" and body["like_count"] == 0
    assert Post.objects.get().hot_score > 0


def test_posting_refuses_others_clips_and_reposts(client_for, owner, other_user, make_clip, make_post):
    clip = make_clip()
    refused = client_for(other_user).post("/api/posts/", {"clip": str(clip.pk)}, format="json")
    assert refused.status_code == 400 and "clip" in refused.json()
    assert client_for().post("/api/posts/", {"clip": str(clip.pk)}, format="json").status_code == 401
    assert client_for(owner).post("/api/posts/", {"clip": str(clip.pk)}, format="json").status_code == 201
    again = client_for(owner).post("/api/posts/", {"clip": str(clip.pk)}, format="json")
    assert again.status_code == 400 and "already posted" in again.json()["detail"]
    assert Post.objects.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"clip": "not-a-uuid"}, "clip"),
        ({"visibility": "everyone"}, "visibility"),
        ({"caption": "x" * 501}, "caption"),
        ({"caption": "bad\x00byte"}, "caption"),
        ({"tags": [f"t{n}" for n in range(40)]}, "tags"),
    ],
)
def test_bad_post_input_is_a_clear_400(client_for, owner, make_clip, payload, field):
    data = {"clip": str(make_clip().pk), **payload}
    response = client_for(owner).post("/api/posts/", data, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Post.objects.exists()


def test_a_private_characters_clip_cannot_be_posted(client_for, owner, make_character, make_clip):
    secret = make_character("Secret", visibility="private")
    response = client_for(owner).post("/api/posts/", {"clip": str(make_clip(on=secret).pk)}, format="json")
    assert response.status_code == 400 and "private" in response.json()["detail"]


def test_captions_are_screened(client_for, owner, make_clip):
    blocked = client_for(owner).post(
        "/api/posts/", {"clip": str(make_clip().pk), "caption": "I will kill you, I know where you live"}, format="json"
    )
    assert blocked.status_code == 400 and blocked.json()["code"] == "content_blocked"
    held = client_for(owner).post(
        "/api/posts/", {"clip": str(make_clip().pk), "caption": "You are a pathetic worthless loser"}, format="json"
    )
    assert held.status_code == 201
    post = Post.objects.get()
    assert post.moderation_state == ModerationState.HELD
    assert Case.objects.get(object_id=post.pk).is_open
    assert client_for().get("/api/feed/?kind=new").json()["results"] == []
    assert client_for().get(f"/api/posts/{post.pk}/").status_code == 404
    assert client_for(owner).get(f"/api/posts/{post.pk}/").json()["moderation"]["state"] == "held"


def test_visibility_decides_who_sees_a_post(client_for, owner, other_user, make_user, make_post):
    unlisted = make_post(visibility="unlisted")
    for_followers = make_post(visibility="followers")
    follower = make_user("fan")
    client_for(follower).post(f"/api/users/{owner.username}/follow/")
    assert client_for().get(f"/api/posts/{unlisted.pk}/").status_code == 200
    assert client_for().get("/api/feed/?kind=new").json()["results"] == []
    assert client_for(other_user).get(f"/api/posts/{for_followers.pk}/").status_code == 404
    assert client_for(follower).get(f"/api/posts/{for_followers.pk}/").status_code == 200
    following = client_for(follower).get("/api/feed/?kind=following").json()["results"]
    assert [post["id"] for post in following] == [for_followers.pk]
    assert [post["id"] for post in client_for(owner).get(f"/api/posts/?owner={owner.username}").json()["results"]] == [
        for_followers.pk,
        unlisted.pk,
    ]


def test_only_the_owner_edits_and_deletes(client_for, owner, other_user, post):
    url = f"/api/posts/{post.pk}/"
    assert client_for(other_user).patch(url, {"caption": "mine now"}, format="json").status_code == 403
    assert client_for().patch(url, {"caption": "mine now"}, format="json").status_code == 401
    edited = client_for(owner).patch(
        url, {"caption": "Second voyage", "tags": ["ships"], "visibility": "unlisted"}, format="json"
    )
    assert edited.status_code == 200
    assert edited.json()["caption"] == "Second voyage" and edited.json()["tags"] == ["ships"]
    assert client_for(other_user).delete(url).status_code == 403
    assert client_for(owner).delete(url).status_code == 204
    post.refresh_from_db()
    assert post.deleted_at is not None and post.clip is None and post.caption == ""
    assert client_for(other_user).get(url).status_code == 404
    assert client_for(owner).get(url).status_code == 404


def test_feeds_validate_their_kind_and_following_needs_an_account(client_for):
    assert client_for().get("/api/feed/?kind=trending").status_code == 400
    assert client_for().get("/api/feed/?kind=following").status_code == 401
    assert client_for().get("/api/posts/?owner=nobody").status_code == 404
    assert client_for().get("/api/posts/12345/").status_code == 404


def test_tag_list(client_for, make_post):
    tagged = make_post(tags=["pirates"])
    make_post(tags=["space"])
    results = client_for().get("/api/posts/?tag=Pirates").json()["results"]
    assert [post["id"] for post in results] == [tagged.pk]


def test_the_fast_post_shape_is_the_documented_one(client_for, owner, other_user, make_post, rf):
    """PostSerializer builds its dict by hand for speed; it must equal DRF's walk over the declared fields."""
    original = make_post(caption="Original", tags=["sea"])
    services.like(user=other_user, post=original)
    remix = make_post(caption="Remix")
    Post.objects.filter(pk=remix.pk).update(remix_of=original)
    for viewer in (owner, other_user):
        request = Request(rf.get("/api/feed/"))
        request.user = viewer
        for post in selectors.feed(kind="new", viewer=viewer):
            serializer = PostSerializer(post, context={"request": request})
            assert serializer.data == ModelSerializer.to_representation(serializer, post)
