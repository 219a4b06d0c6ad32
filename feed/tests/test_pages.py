"""The feed's pages: the feed shell, a post with its share tags and comments, posting, remixing, lineage, tags, profiles."""

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.exceptions import ValidationError

from characters.models import Tag
from feed import services
from feed.models import Comment, Follow, Post, RemixRequest
from generation.models import GenerationJob

pytestmark = pytest.mark.django_db


def test_the_feed_page_loads_its_player_for_each_kind(client, owner):
    page = client.get("/feed/").content.decode()
    assert 'data-api="/api/feed/?kind=foryou"' in page and "feed/feed.js" in page
    assert 'data-api="/api/feed/?kind=new"' in client.get("/feed/?kind=new").content.decode()
    assert "to see the creators you follow" in client.get("/feed/?kind=following").content.decode()
    client.force_login(owner)
    assert 'data-api="/api/feed/?kind=following"' in client.get("/feed/?kind=following").content.decode()
    assert 'data-api="/api/feed/?kind=foryou"' in client.get("/feed/?kind=bogus").content.decode()


def test_a_post_page_has_video_share_tags_and_counts_a_view(client, post):
    page = client.get(f"/p/{post.pk}/").content.decode()
    assert '<meta property="og:type" content="video.other">' in page
    # Absolute, for share previews: local media gets the site's address; S3 URLs are absolute and signed per second.
    shared = html.unescape(re.search(r'<meta property="og:video" content="([^"]+)">', page)[1])
    expected = urljoin("http://testserver/", post.clip.video.url)
    assert urlsplit(shared)[:3] == urlsplit(expected)[:3]
    assert '<meta name="twitter:card" content="player">' in page
    assert "AI-generated" in page and "Captain Nova" in page and "Maiden voyage" in page
    assert f'href="/p/{post.pk}/remix/"' in page and "#pirates" in page
    assert services.flush_views() == 0  # a first visit only gets the signed viewer id
    client.get(f"/p/{post.pk}/")
    assert services.flush_views() == 1
    client.get(f"/p/{post.pk}/")
    assert services.flush_views() == 0  # the same browser, within a day


def test_post_a_clip_through_the_form(client, owner, make_clip):
    clip = make_clip()
    client.force_login(owner)
    form = client.get(f"/posts/new/?clip={clip.pk}")
    assert form.status_code == 200 and "Post your clip of Captain Nova" in form.content.decode()
    response = client.post(f"/posts/new/?clip={clip.pk}", {"caption": "Hello", "tags": "sea, sky", "visibility": "public"})
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/p/{post.pk}/"
    assert sorted(tag.name for tag in post.tags.all()) == ["sea", "sky"]
    again = client.post(f"/posts/new/?clip={clip.pk}", {"caption": "Again", "visibility": "public"})
    assert "already posted" in again.content.decode()
    job_page = client.get(f"/clips/jobs/{clip.job_id}/").content.decode()
    assert f'href="/p/{post.pk}/"' in job_page


def test_posting_someone_elses_clip_is_404(client, other_user, make_clip):
    client.force_login(other_user)
    assert client.get(f"/posts/new/?clip={make_clip().pk}").status_code == 404
    assert client.get("/posts/new/?clip=nonsense").status_code == 404


def test_edit_and_delete_pages(client, owner, other_user, post):
    client.force_login(other_user)
    assert client.get(f"/p/{post.pk}/edit/").status_code == 403
    assert client.post(f"/p/{post.pk}/delete/").status_code == 403
    client.force_login(owner)
    client.post(f"/p/{post.pk}/edit/", {"caption": "Renamed", "tags": "", "visibility": "unlisted"})
    post.refresh_from_db()
    assert post.caption == "Renamed" and post.visibility == "unlisted" and not post.tags.exists()
    assert client.post(f"/p/{post.pk}/delete/")["Location"] == f"/u/{owner.username}/"
    assert client.get(f"/p/{post.pk}/").status_code == 404


def test_comment_reply_delete_and_report_through_forms(client, owner, other_user, post):
    client.force_login(other_user)
    client.post(f"/p/{post.pk}/comments/", {"text": "Nice!"})
    first = Comment.objects.get()
    client.post(f"/p/{post.pk}/comments/", {"text": "Agreed", "parent": first.pk})
    page = client.get(f"/p/{post.pk}/").content.decode()
    assert "Nice!" in page and "Agreed" in page
    client.post(f"/p/{post.pk}/report/", {"reason": "spam"})
    client.force_login(owner)
    client.post(f"/p/{post.pk}/comments/{first.pk}/report/", {"reason": "other"})
    client.post(f"/comments/{first.pk}/delete/")
    assert not Comment.objects.exists()
    assert client.post(f"/p/{post.pk}/comments/", {"text": ""}).status_code == 302


def test_the_remix_page_is_the_clip_maker_prefilled(client, other_user, post, monkeypatch):
    monkeypatch.setattr("generation.services.request.enqueue_job", lambda **kwargs: None)
    client.force_login(other_user)
    page = client.get(f"/p/{post.pk}/remix/").content.decode()
    assert "Remix of" in page and "Ahoy, crew!" in page and 'value="ada" checked' in page
    response = client.post(f"/p/{post.pk}/remix/", {"script": "Ahoy again!", "voice": "ada"})
    job = GenerationJob.objects.get(owner=other_user)
    assert response["Location"] == f"/clips/jobs/{job.pk}/"
    assert RemixRequest.objects.get(job=job).source == post


def test_a_taken_down_post_cannot_be_remixed_and_its_owner_sees_why(client, owner, post):
    Post.objects.filter(pk=post.pk).update(moderation_state="taken_down", moderation_reason="Impersonation")
    client.force_login(owner)
    page = client.get(f"/p/{post.pk}/").content.decode()
    assert "Taken down by the moderators" in page and "Impersonation" in page
    response = client.get(f"/p/{post.pk}/remix/", follow=True)
    assert "can&#x27;t be remixed" in response.content.decode()


def test_lineage_tag_and_profile_pages(client, owner, other_user, make_post):
    post = make_post(caption="On the sea", tags=["sea"])
    make_post(caption="Only followers", visibility="followers")
    assert "On the sea" in client.get("/tags/sea/").content.decode()
    assert "On the sea" in client.get(f"/p/{post.pk}/lineage/").content.decode()
    profile = client.get(f"/u/{owner.username}/").content.decode()
    assert "On the sea" in profile and "Only followers" not in profile and "Captain Nova" in profile
    client.force_login(other_user)
    client.post(f"/u/{owner.username}/follow/", {"follow": "1"})
    assert Follow.objects.filter(follower=other_user, followee=owner).exists()
    profile = client.get(f"/u/{owner.username}/").content.decode()
    assert "Only followers" in profile and "1 follower" in profile
    client.post(f"/u/{owner.username}/follow/", {"follow": "0"})
    assert not Follow.objects.exists()


def test_profile_pages_continue_with_a_stable_cursor(client, make_post):
    posts = [make_post(caption=f"post {n}") for n in range(26)]
    first = client.get(f"/u/{posts[0].owner.username}/").content.decode()
    assert "post 25" in first and "post 1<" not in first and "?before=" in first
    older = client.get(f"/u/{posts[0].owner.username}/?before={posts[2].pk}").content.decode()
    assert "post 1" in older and "post 0" in older and "post 2<" not in older


def test_tags_with_slashes_have_pages_that_their_posts_link_to(client, make_post):
    post = make_post(caption="Rock all night", tags=["ac/dc", "24/7 news"])
    page = client.get(f"/p/{post.pk}/")
    assert page.status_code == 200
    links = re.findall(r'href="(/tags/[^"]*)"', page.content.decode())
    assert sorted(links) == ["/tags/24/7%20news/", "/tags/ac/dc/"]
    for link in links:
        assert "Rock all night" in client.get(link).content.decode()
    assert "Rock all night" in client.get("/tags/ac%2Fdc/").content.decode()  # the feed's script encodes the slash


@pytest.mark.parametrize("tag", [".", "..", "...", "///", "-", "a/./b", "../etc", "x/.."])
def test_tags_without_a_page_are_refused_with_a_clear_error(make_post, tag):
    with pytest.raises(ValidationError) as refused:
        make_post(tags=["fine", tag])
    assert tag in refused.value.message_dict["tags"][0]


def test_a_stored_tag_without_a_page_is_shown_unlinked_and_its_address_is_a_clean_404(client, make_post):
    post = make_post(caption="Old junk", tags=["sea"])
    post.tags.add(Tag.objects.create(name="."), Tag.objects.create(name="..."))
    page = client.get(f"/p/{post.pk}/").content.decode()
    assert re.findall(r'href="(/tags/[^"]*)"', page) == ["/tags/sea/"]
    assert "#..." in page
    for address in ("/tags/./", "/tags/.../", "/tags/a/../"):
        response = client.get(address)
        assert response.status_code == 404 and "Page not found" in response.content.decode()
