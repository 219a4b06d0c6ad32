"""Request guards that apply to every page and endpoint."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "The request contains a NUL character, which no field accepts."


def has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "\x00" in request.META.get("HTTP_AUTHORIZATION", ""):
        return True
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())


class RejectNulMiddleware:
    """Refuse NUL in the path, query or credentials with a 400.

    PostgreSQL cannot compare or store text containing NUL, so such a lookup would otherwise fail
    deep inside a query with a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE)
        return self.get_response(request)
