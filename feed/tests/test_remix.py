"""Remixes: a job from a post's recipe, the posted remix in the lineage, and tombstones after deletes and take-downs."""

import pytest
from django.contrib.contenttypes.models import ContentType

from feed import services
from feed.models import Post, RemixRequest
from generation.models import GenerationJob
from generation.tests.conftest import finished_clip
from moderation.models import Case
from moderation.services import decide

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    """Jobs are stored but not sent to a worker: posting their clip is what these tests follow."""
    monkeypatch.setattr("generation.services.request.enqueue_job", lambda **kwargs: None)


def remix(client, source: Post, **data) -> GenerationJob:
    response = client.post(f"/api/posts/{source.pk}/remixes/", data, format="json")
    assert response.status_code == 201, response.json()
    return GenerationJob.objects.get(pk=response.json()["id"])


def post_remix(client, job: GenerationJob, caption: str = "") -> dict:
    clip = finished_clip(job)
    response = client.post("/api/posts/", {"clip": str(clip.pk), "caption": caption}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_remix_starts_from_the_recipe_and_joins_the_lineage(client_for, other_user, post):
    client = client_for(other_user)
    job = remix(client, post)
    assert (job.character_id, job.script, job.voice) == (post.character_id, "Ahoy, crew!", "ada")
    assert RemixRequest.objects.get(job=job).source == post
    created = post_remix(client, job, caption="Louder")
    assert created["remix_of"] == {"id": post.pk, "page": f"/p/{post.pk}/", "tombstone": ""}
    assert Post.objects.get(pk=post.pk).remix_count == 1
    remixes = client_for().get(f"/api/posts/{post.pk}/remixes/").json()["results"]
    assert [item["id"] for item in remixes] == [created["id"]]


def test_the_remixer_changes_the_script_and_voice(client_for, other_user, post):
    job = remix(client_for(other_user), post, script="Land ho!", voice="joe")
    assert (job.script, job.voice) == ("Land ho!", "joe")


def test_remix_refusals(client_for, other_user, post):
    assert client_for().post(f"/api/posts/{post.pk}/remixes/", {}, format="json").status_code == 401
    bad_voice = client_for(other_user).post(f"/api/posts/{post.pk}/remixes/", {"voice": "nobody"}, format="json")
    assert bad_voice.status_code == 400 and "voice" in bad_voice.json()
    blocked = client_for(other_user).post(
        f"/api/posts/{post.pk}/remixes/", {"script": "I will kill you, I know where you live"}, format="json"
    )
    assert blocked.status_code == 400
    assert not RemixRequest.objects.exists()


def lineage(client, post: Post) -> dict:
    response = client.get(f"/api/posts/{post.pk}/lineage/")
    assert response.status_code == 200
    return response.json()


def test_lineage_tree_with_tombstones(client_for, owner, other_user, make_user, staff_user, post):
    third = make_user("third")
    child = post_remix(client_for(other_user), remix(client_for(other_user), post))
    child_post = Post.objects.get(pk=child["id"])
    grandchild = post_remix(client_for(third), remix(client_for(third), child_post))
    sibling = post_remix(client_for(third), remix(client_for(third), post))

    tree = lineage(client_for(), post)
    assert tree["ancestors"] == []
    assert tree["root"]["id"] == post.pk
    assert [node["id"] for node in tree["root"]["children"]] == [child["id"], sibling["id"]]
    assert [node["id"] for node in tree["root"]["children"][0]["children"]] == [grandchild["id"]]
    from_below = lineage(client_for(), Post.objects.get(pk=grandchild["id"]))
    assert [node["id"] for node in from_below["ancestors"]] == [post.pk, child["id"]]

    # The middle post is taken down: gone from feeds and lineage content at once, its place kept.
    case = Case.objects.create(
        content_type=ContentType.objects.get_for_model(Post), object_id=child["id"], item_label="x", trigger="report"
    )
    decide(case=case, moderator=staff_user, decision="take_down", note="Harassment in the caption")
    tree = lineage(client_for(), post)
    middle = tree["root"]["children"][0]
    assert middle["tombstone"] == "Taken down by the moderators." and middle["post"] is None
    assert [node["id"] for node in middle["children"]] == [grandchild["id"]]
    assert middle["children"][0]["post"]["id"] == grandchild["id"]
    assert child["id"] not in [item["id"] for item in client_for().get("/api/feed/?kind=new").json()["results"]]
    assert client_for(other_user).get(f"/api/posts/{child['id']}/").json()["moderation"]["reason"] == "Harassment in the caption"
    refused = client_for(third).post(f"/api/posts/{child['id']}/remixes/", {}, format="json")
    assert refused.status_code == 404  # others can no longer open it at all

    # The original is deleted by its owner: remixes of it show a tombstone and it can't be remixed.
    services.delete_post(post=post, actor=owner)
    from_sibling = lineage(client_for(), Post.objects.get(pk=sibling["id"]))
    assert from_sibling["ancestors"][0]["tombstone"] == "Deleted by its creator."
    assert from_sibling["ancestors"][0]["post"] is None
    assert client_for().get(f"/api/posts/{sibling['id']}/").json()["remix_of"]["tombstone"] == "Deleted by its creator."


def test_a_pending_remix_of_a_post_deleted_meanwhile_cannot_be_posted(client_for, owner, other_user, post):
    job = remix(client_for(other_user), post)
    services.delete_post(post=post, actor=owner)
    response = client_for(other_user).post("/api/posts/", {"clip": str(finished_clip(job).pk)}, format="json")
    assert response.status_code == 410 and "deleted" in response.json()["detail"].lower()
    assert Post.objects.filter(owner=other_user).count() == 0
