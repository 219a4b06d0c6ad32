"""WebSocket routes of every app, gathered for the ASGI app."""

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from generation.routing import websocket_urlpatterns as generation_routes


class UnknownSocket(AsyncWebsocketConsumer):
    """Any other path: refused at the handshake (HTTP 403), where URLRouter alone would raise and answer 500."""

    async def connect(self) -> None:
        await self.close()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Never called: the socket is never accepted."""


websocket_urlpatterns: list = [*generation_routes, re_path(r"", UnknownSocket.as_asgi())]
