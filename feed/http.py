"""What the feed's pages and its API share about a request: the viewer's key and the lookups that 404."""

from django.http import Http404, HttpRequest

from accounts.models import User
from accounts.selectors import active_users
from feed import selectors
from feed.models import Comment, Post


def viewer_key(request: HttpRequest) -> str:
    """Signed-in viewers count by account, anonymous ones by session (started here when they have none)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    if request.session.session_key is None:
        request.session["viewer"] = True
        request.session.save()
    return f"session:{request.session.session_key}"


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
