"""Who is on the other end of a WebSocket: the session's user, or the user of an API token in `?token=`.

Wraps the whole WebSocket router, so every socket (job progress, streams) sees the same `scope["user"]`
and no consumer parses tokens itself. Browsers send their session cookie; native clients, which
cannot, send their API token. An unknown or inactive token leaves the user anonymous.
"""

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from accounts import selectors

TOKEN_PARAMETER = "token"


def token_in(query_string: bytes) -> str:
    """The first `token` of the query string, or "" when there is none."""
    return parse_qs(query_string.decode("latin-1")).get(TOKEN_PARAMETER, [""])[0]


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from an API token when the session did not already sign the user in."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        key = token_in(scope.get("query_string", b""))
        if key and (user is None or not user.is_authenticated):
            found = await database_sync_to_async(selectors.user_for_token)(key)
            if found is not None:
                scope = {**scope, "user": found}
        return await super().__call__(scope, receive, send)


def SocketAuthStack(inner: Any) -> Any:
    """Session and cookie authentication first, then the API token."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
