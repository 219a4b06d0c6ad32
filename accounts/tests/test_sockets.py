"""The WebSocket authentication every socket shares: the session's user, else an API token's, else anonymous."""

import pytest
from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.sockets import SocketAuthStack, token_in

pytestmark = pytest.mark.django_db(transaction=True)


class WhoAmI(AsyncJsonWebsocketConsumer):
    """Says who the middleware decided the client is, then hangs up."""

    async def connect(self) -> None:
        await self.accept()
        user = self.scope["user"]
        await self.send_json({"user": user.username if user.is_authenticated else None})
        await self.close()


def who(path: str, *headers: tuple[bytes, bytes]) -> str | None:
    async def ask() -> str | None:
        socket = WebsocketCommunicator(SocketAuthStack(WhoAmI.as_asgi()), path, headers=list(headers))
        connected, _ = await socket.connect(timeout=10)
        assert connected
        answer = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return answer["user"]

    return async_to_sync(ask)()


def cookie_of(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def test_an_api_token_signs_in_a_client_without_cookies(owner):
    token = Token.objects.create(user=owner)
    assert who(f"/ws/anything/?token={token.key}") == "owner"


@pytest.mark.parametrize("query", ["", "?token=", "?token=nope", "?token=%00%ff", "?other=1"])
def test_no_or_unknown_tokens_stay_anonymous(owner, query):
    Token.objects.create(user=owner)
    assert who(f"/ws/anything/{query}") is None


def test_a_deactivated_users_token_is_refused(owner):
    token = Token.objects.create(user=owner)
    owner.is_active = False
    owner.save()
    assert who(f"/ws/anything/?token={token.key}") is None


def test_the_session_wins_over_a_token_in_the_url(owner, other_user):
    token = Token.objects.create(user=other_user)
    assert who(f"/ws/anything/?token={token.key}", cookie_of(owner)) == "owner"
    assert who("/ws/anything/", cookie_of(owner)) == "owner"


def test_only_the_first_token_counts():
    assert token_in(b"token=a&token=b") == "a"
    assert token_in(b"") == ""
