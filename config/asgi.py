"""ASGI entry point served by Daphne: HTTP through Django, WebSockets through Channels.

Anonymous feed pages are answered from a short-lived cache in front of Django (feed/pagecache.py).
"""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from accounts.sockets import SocketAuthStack  # noqa: E402
from config import heap  # noqa: E402
from config.daphne import hand_bodies_to_django  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402  (needs the apps loaded)
from feed.pagecache import FeedPageCache  # noqa: E402

hand_bodies_to_django()

application = ProtocolTypeRouter(
    {
        "http": FeedPageCache(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(SocketAuthStack(URLRouter(websocket_urlpatterns))),
    }
)

heap.settle()  # after everything above is loaded; see config/heap.py
