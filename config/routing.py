"""WebSocket routes of every app, gathered for the ASGI app."""

websocket_urlpatterns: list = []
