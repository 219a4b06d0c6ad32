"""Pagination every list endpoint shares: page numbers, or cursors for lists that grow at the top.

DRF answers a junk cursor or page with 404 and ignores a junk page_size; here each is the client's
mistake, so a 400 with a detail that says which parameter to fix. A page past the last one stays 404.
"""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request


class BadPageParameter(ValidationError):
    """A 400 whose body is {"detail": ...}, like every other API error."""

    def __init__(self, detail: str) -> None:
        super().__init__({"detail": detail})


def requested_page_size(request: Request, parameter: str, default: int, maximum: int) -> int:
    """The page_size the client asked for (at most `maximum`), the default when it asked for none."""
    raw = request.query_params.get(parameter)
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise BadPageParameter(f"{parameter} must be a whole number from 1 to {maximum}.")
    return min(size, maximum)


class PageNumberPages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        return requested_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request: Request, paginator) -> int | str:
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise BadPageParameter(f"{self.page_query_param} must be a whole number from 1, or 'last'.")
        return int(raw)


class CursorPages(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 50

    def get_page_size(self, request: Request) -> int:
        return requested_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def decode_cursor(self, request: Request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise BadPageParameter(self.invalid_cursor_message) from None
