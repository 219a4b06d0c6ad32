"""What the feed's pages and its API share about a request: the viewer's key and the lookups that 404."""

import uuid

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.request import Request

from accounts.models import User
from accounts.selectors import active_users
from common import ratelimit
from feed import selectors
from feed.models import Comment, Post

VIEWER_COOKIE = "viewer"
VIEWER_SALT = "feed.viewer"
VIEWER_COOKIE_SECONDS = 365 * 24 * 3600


def viewer_key(request: HttpRequest | Request) -> str | None:
    """Who a view is counted for: the account, or the signed viewer id an anonymous browser was given.

    None (the view counts nothing) for a client that never kept the cookie, so replaying requests
    without cookies inflates nothing; no session is started or written either way.
    """
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    viewer = request.get_signed_cookie(VIEWER_COOKIE, default=None, salt=VIEWER_SALT)
    return f"viewer:{viewer}" if viewer else None


def give_viewer_id(request: HttpRequest | Request, response: HttpResponse) -> HttpResponse:
    """Set an anonymous browser's viewer id once; a client address gets only so many (RATE_LIMITS["viewer_id"])."""
    if viewer_key(request) is not None:
        return response
    try:
        ratelimit.spend_for_client("viewer_id", request)
    except ratelimit.RateLimited:
        return response  # the page is served all the same; its views just don't count
    response.set_signed_cookie(
        VIEWER_COOKIE,
        uuid.uuid4().hex,
        salt=VIEWER_SALT,
        max_age=VIEWER_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def post_or_404(request: HttpRequest, post_id: int | str) -> Post:
    post = selectors.post_for_viewer(post_id=post_id, viewer=request.user)
    if post is None:
        raise Http404("No such post, or it is not visible to you.")
    return post


def comment_or_404(request: HttpRequest, comment_id: int | str) -> Comment:
    comment = selectors.comment_for_viewer(comment_id=comment_id, viewer=request.user)
    if comment is None:
        raise Http404("No such comment.")
    return comment


def creator_or_404(username: str) -> User:
    creator = active_users().filter(username=username).first()
    if creator is None:
        raise Http404("No such creator.")
    return creator
