"""Cursor pagination of the feeds: a page's position is a key, not an offset, so new posts never shift it."""

from rest_framework.pagination import CursorPagination

from feed.selectors import HOT_ORDER, NEW_ORDER


class NewestFirst(CursorPagination):
    ordering = NEW_ORDER
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 50


class HottestFirst(NewestFirst):
    """DRF keys the cursor on the hot score and breaks ties by offset; scores carry the creation time, so ties are rare."""

    ordering = HOT_ORDER


class OldestFirst(NewestFirst):
    ordering = ("id",)
