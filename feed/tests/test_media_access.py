"""Who may fetch media: a public item's files are anyone's; private, never-posted and removed items' are not.

Locally the files come through config/media.py; with S3 the URLs handed out are signed and expire soon.
"""

from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from feed import services
from moderation import services as moderation
from moderation.models import ProtectedPerson, ReferencePhoto

pytestmark = pytest.mark.django_db
local_only = pytest.mark.skipif(bool(settings.S3_BUCKET), reason="S3 serves its own, signed URLs")


def stored(*names: str) -> None:
    for name in names:
        default_storage.save(name, ContentFile(b"media bytes"))


def status_for(user, url: str) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if response.status_code == 200:
        stored_bytes = default_storage.open(url.removeprefix(settings.MEDIA_URL)).read()
        assert b"".join(response.streaming_content) == stored_bytes and "private" in response["Cache-Control"]
    return response.status_code


@pytest.fixture
def viewers(owner, other_user, staff_user) -> dict:
    return {"owner": owner, "staff": staff_user, "stranger": other_user, "anonymous": None}


def statuses(viewers: dict, url: str) -> dict[str, int]:
    return {name: status_for(user, url) for name, user in viewers.items()}


EVERYONE = {"owner": 200, "staff": 200, "stranger": 200, "anonymous": 200}
OWNER_AND_STAFF = {"owner": 200, "staff": 200, "stranger": 404, "anonymous": 404}


@pytest.fixture
def clip_files(make_clip):
    def make(clip) -> list[str]:
        stored(clip.video.name, clip.poster.name)
        return [clip.video.url, clip.poster.url]

    return lambda clip=None: make(clip or make_clip())


@local_only
def test_a_public_posts_clip_is_anyones(viewers, post, clip_files):
    for url in clip_files(post.clip):
        assert statuses(viewers, url) == EVERYONE


@local_only
def test_a_never_posted_clip_is_its_owners_and_staffs(viewers, clip_files):
    for url in clip_files():
        assert statuses(viewers, url) == OWNER_AND_STAFF


@local_only
def test_a_taken_down_posts_clip_is_no_longer_public(viewers, post, clip_files, staff_user, other_user):
    urls = clip_files(post.clip)
    moderation.report(item=post, reporter=other_user, reason="rights")
    moderation.decide(case=moderation.case_for(post), moderator=staff_user, decision="take_down", note="No rights")
    for url in urls:
        assert statuses(viewers, url) == OWNER_AND_STAFF


@local_only
def test_a_deleted_posts_clip_is_no_longer_public(viewers, owner, post, clip_files):
    urls = clip_files(post.clip)
    services.delete_post(post=post, actor=owner)
    for url in urls:
        assert statuses(viewers, url) == OWNER_AND_STAFF


@local_only
def test_a_followers_only_posts_clip_is_for_followers(viewers, owner, other_user, make_post, clip_files):
    post = make_post(visibility="followers")
    [video, _] = clip_files(post.clip)
    assert statuses(viewers, video) == OWNER_AND_STAFF
    services.follow(follower=other_user, followee=owner)
    assert status_for(other_user, video) == 200


@local_only
def test_a_private_characters_portrait_is_its_owners_and_staffs(viewers, make_character):
    character = make_character("Secret", visibility="private")
    assert statuses(viewers, character.portrait.url) == OWNER_AND_STAFF
    assert statuses(viewers, character.portrait_thumbnail.url) == OWNER_AND_STAFF
    public = make_character("Open")
    assert statuses(viewers, public.portrait.url) == EVERYONE


@local_only
def test_a_taken_down_characters_portrait_is_no_longer_public(viewers, make_character, staff_user, other_user):
    character = make_character("Nova")
    moderation.report(item=character, reporter=other_user, reason="rights")
    moderation.decide(case=moderation.case_for(character), moderator=staff_user, decision="take_down", note="No rights")
    assert statuses(viewers, character.portrait.url) == OWNER_AND_STAFF


@local_only
def test_reference_photos_recordings_and_unknown_files_are_not_public(viewers, owner, character, staff_user):
    person = ProtectedPerson.objects.create(name="A. Person")
    photo = ReferencePhoto.objects.create(person=person, image="moderation/likeness/1.jpg")
    stored(photo.image.name, "elsewhere/file.txt", "clips/not-a-clip/video.mp4")
    assert statuses(viewers, photo.image.url) == {"owner": 404, "staff": 200, "stranger": 404, "anonymous": 404}
    for name in ("elsewhere/file.txt", "clips/not-a-clip/video.mp4", "clips/../elsewhere/file.txt", "portraits/"):
        assert status_for(staff_user, f"{settings.MEDIA_URL}{name}") == 404


@pytest.mark.skipif(not settings.S3_BUCKET, reason="only S3 signs its URLs")
def test_s3_media_urls_are_signed_and_short_lived(post):
    query = parse_qs(urlparse(post.clip.video.url).query)
    assert "X-Amz-Signature" in query and int(query["X-Amz-Expires"][0]) <= 300
