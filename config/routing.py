"""WebSocket routes of every app, gathered for the ASGI app."""

from generation.routing import websocket_urlpatterns as generation_routes

websocket_urlpatterns: list = [*generation_routes]
