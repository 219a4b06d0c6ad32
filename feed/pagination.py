"""Cursor pagination of the feeds: a page's position is a key, not an offset, so new posts never shift it."""

import base64
import binascii
from collections.abc import Callable
from datetime import datetime

from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from common.pagination import BadPageParameter, CursorPages
from feed.models import Post
from feed.selectors import HOT_ORDER, NEW_ORDER


class NewestFirst(CursorPages):
    ordering = NEW_ORDER


class HottestFirst(NewestFirst):
    """DRF keys the cursor on the hot score and breaks ties by offset; scores carry the creation time, so ties are rare."""

    ordering = HOT_ORDER


class OldestFirst(NewestFirst):
    ordering = ("id",)


class NewestFirstByKey(BasePagination):
    """Newest-first pages for lists a selector fetches itself (Following): the cursor is the last post's
    (created_at, id), so the selector can push it down into its own query. Same links as the others."""

    cursor_query_param = NewestFirst.cursor_query_param

    def paginate(self, request: Request, fetch: Callable[[tuple[datetime, int] | None, int], list[Post]]) -> list[Post]:
        self.request = request
        size = NewestFirst().get_page_size(request)  # the same page_size rules as the other feeds
        posts = fetch(self.decode(request.query_params.get(self.cursor_query_param)), size + 1)
        self.last = posts[size - 1] if len(posts) > size else None
        return posts[:size]

    def decode(self, cursor: str | None) -> tuple[datetime, int] | None:
        if not cursor:
            return None
        try:
            created_at, pk = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").split("|")
            return datetime.fromisoformat(created_at), int(pk)
        except (ValueError, UnicodeError, binascii.Error):
            raise BadPageParameter(NewestFirst.invalid_cursor_message) from None

    def encode(self, post: Post) -> str:
        return base64.urlsafe_b64encode(f"{post.created_at.isoformat()}|{post.pk}".encode("ascii")).decode("ascii")

    def get_paginated_response(self, data: list) -> Response:
        following = None
        if self.last is not None:
            following = replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.encode(self.last))
        return Response({"next": following, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return NewestFirst().get_paginated_response_schema(schema)
