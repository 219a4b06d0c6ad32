"""View counting without database writes, the hot ranking, cursor stability and constant queries per page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feed import ranking, services, tasks, viewcounts
from feed.models import Post

pytestmark = pytest.mark.django_db


def test_a_viewer_counts_once_a_day_and_only_the_flush_writes(client_for, owner, other_user, post, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert services.record_view(post=post, viewer="user:1") is True
        assert services.record_view(post=post, viewer="user:1") is False
        assert services.record_view(post=post, viewer="viewer:abc") is True
    url = f"/api/posts/{post.pk}/view/"
    assert client_for(other_user).post(url).json() == {"counted": True}
    assert client_for(other_user).post(url).json() == {"counted": False}
    anonymous = client_for()
    assert anonymous.post(url).json() == {"counted": False}  # no viewer id yet: this reply sets one
    assert anonymous.post(url).json() == {"counted": True}
    assert anonymous.post(url).json() == {"counted": False}  # the same browser
    another = client_for()
    another.post(url)
    assert another.post(url).json() == {"counted": True}  # another browser
    assert Post.objects.get(pk=post.pk).view_count == 0
    before = Post.objects.get(pk=post.pk).hot_score
    assert tasks.flush_views() == 5
    assert Post.objects.get(pk=post.pk).view_count == 5
    assert Post.objects.get(pk=post.pk).hot_score > before
    assert tasks.flush_views() == 0


def test_the_seen_mark_expires_after_a_day(post):
    assert services.record_view(post=post, viewer="user:7")
    key = f"feed:views:seen:{post.pk}:user:7"
    assert 0 < viewcounts.client().ttl(key) <= 24 * 3600
    viewcounts.client().delete(key)  # what expiry does after 24 h
    assert services.record_view(post=post, viewer="user:7")


def test_views_recorded_during_a_flush_are_kept(post, make_post):
    other = make_post()
    services.record_view(post=post, viewer="a")
    pending = viewcounts.take_pending()
    services.record_view(post=other, viewer="b")  # arrives while the flush runs
    assert pending == {post.pk: 1}
    assert services.flush_views() == 1  # the interrupted batch is finished first
    assert services.flush_views() == 1
    assert [Post.objects.get(pk=pk).view_count for pk in (post.pk, other.pk)] == [1, 1]


def test_the_hot_score_formula():
    now = timezone.now()
    fresh = ranking.hot_score(likes=0, comments=0, remixes=0, views=0, created_at=now)
    older = ranking.hot_score(likes=9, comments=0, remixes=0, views=0, created_at=now - timedelta(seconds=45_000))
    assert older == pytest.approx(fresh)  # ten times the engagement buys 12.5 hours
    assert ranking.engagement(likes=1, comments=1, remixes=1, views=10) == 1 + 2 + 4 + 1


def test_for_you_ranks_by_engagement_and_age(client_for, make_user, make_post):
    now = timezone.now()
    quiet_new = make_post(caption="quiet new", created_at=now)
    popular_old = make_post(caption="popular old", created_at=now - timedelta(hours=12))
    stale = make_post(caption="stale", created_at=now - timedelta(days=3))
    fans = [make_user(f"fan{n}") for n in range(12)]
    for fan in fans:
        services.like(user=fan, post=popular_old)
        services.like(user=fan, post=stale)
    services.add_comment(author=fans[0], post=popular_old, text="Great")
    foryou = [post["caption"] for post in client_for().get("/api/feed/?kind=foryou").json()["results"]]
    new = [post["caption"] for post in client_for().get("/api/feed/?kind=new").json()["results"]]
    assert foryou == ["popular old", "quiet new", "stale"]
    assert new == ["quiet new", "popular old", "stale"]
    assert quiet_new.hot_score > stale.hot_score


@pytest.mark.parametrize("kind", ["foryou", "following", "new"])
def test_cursor_pages_stay_stable_while_posts_arrive(client_for, owner, other_user, make_post, kind):
    now = timezone.now()
    for n in range(7):
        make_post(caption=f"old {n}", created_at=now - timedelta(hours=n))
    services.follow(follower=other_user, followee=owner)
    client = client_for(other_user)
    first = client.get(f"/api/feed/?kind={kind}&page_size=3").json()
    for n in range(4):
        make_post(caption=f"new {n}")  # newer and hotter: they rank above the cursor
    seen = [post["caption"] for post in first["results"]]
    next_url = first["next"]
    while next_url:
        page = client.get(next_url).json()
        seen += [post["caption"] for post in page["results"]]
        next_url = page["next"]
    assert sorted(seen) == sorted(f"old {n}" for n in range(7))
    assert len(seen) == len(set(seen))
    if kind != "foryou":
        assert seen == [f"old {n}" for n in range(7)]


def test_a_bad_cursor_is_a_400_not_a_500(client_for, other_user):
    for kind in ("foryou", "following", "new"):
        response = client_for(other_user).get(f"/api/feed/?kind={kind}&cursor=%%%garbage")
        assert response.status_code == 400 and response.json()["detail"] == "Invalid cursor"


@pytest.mark.parametrize("kind", ["foryou", "following", "new"])
def test_a_feed_page_costs_the_same_queries_whatever_its_size(
    client_for, owner, other_user, make_post, django_assert_max_num_queries, kind
):
    for n in range(30):
        make_post(tags=["sea", f"t{n}"])
    services.follow(follower=other_user, followee=owner)
    client = client_for(other_user)
    for size in (2, 30):
        # The posts with their relations and the viewer's likes, their tags, and for Following the page's ids.
        with django_assert_max_num_queries(3):
            response = client.get(f"/api/feed/?kind={kind}&page_size={size}")
        assert len(response.json()["results"]) == size
