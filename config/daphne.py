"""Daphne hands every request body to Django untouched.

Daphne's requests are Twisted Web requests, and Twisted parses a POSTed multipart body itself before
Daphne sees the request; a body it cannot parse (no boundary, a bad boundary) gets Twisted's bare
"400 Bad Request" with no headers and no body, so the client never learns why. Daphne never reads
what Twisted parsed (it passes the raw body on to the ASGI app), so turning the parsing off changes
nothing else: Django parses the body, and the API answers a malformed one with its JSON 400.
"""

from typing import Any


def hand_bodies_to_django() -> None:
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    if getattr(WebRequest, "_bodies_left_to_django", False):
        return
    parsing_init = WebRequest.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["parsePOSTFormSubmission"] = False
        parsing_init(self, *args, **kwargs)

    WebRequest.__init__ = __init__
    WebRequest._bodies_left_to_django = True
