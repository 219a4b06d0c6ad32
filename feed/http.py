"""Who is watching: the key a view is counted under, shared by the pages and the API."""

from django.http import HttpRequest


def viewer_key(request: HttpRequest) -> str:
    """Signed-in viewers count by account, anonymous ones by session (started here when they have none)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    if request.session.session_key is None:
        request.session["viewer"] = True
        request.session.save()
    return f"session:{request.session.session_key}"
