"""Request limits on the cache, one service for the API's throttles and the pages' forms alike.

Sign-in and sign-up are counted per client address, so guessing passwords through the API and
through the login form spends the same allowance; writes (comments, reports) are counted per
user. A client's address is REMOTE_ADDR unless that is one of TRUSTED_PROXIES: only then is
X-Forwarded-For read, from the right, skipping the trusted hops, so a forged header buys nothing.
"""

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from common.errors import ApplicationError

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """DRF's notation: "20/min", "5/hour"."""
        count, period = text.split("/")
        return cls(limit=int(count), seconds=PERIODS[period.strip()])


class RateLimited(ApplicationError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def rate(scope: str) -> Rate:
    return Rate.parse(settings.RATE_LIMITS[scope])


def spend(scope: str, who: str) -> None:
    """Count one request of `who` in the scope's current window; raises RateLimited once the allowance is spent."""
    allowed = rate(scope)
    now = time.time()
    window = int(now // allowed.seconds)
    key = f"ratelimit:{scope}:{who}:{window}"
    shared_cache.add(key, 0, timeout=allowed.seconds + 1)
    try:
        count = shared_cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        shared_cache.set(key, 1, timeout=allowed.seconds + 1)
        count = 1
    if count > allowed.limit:
        raise RateLimited(retry_after=max(1, math.ceil((window + 1) * allowed.seconds - now)))


@cache
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest | Request) -> str:
    """The address the request came from, believing X-Forwarded-For only as far as trusted proxies wrote it."""
    address = request.META.get("REMOTE_ADDR", "")
    if not is_trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else address


def spend_for_client(scope: str, request: HttpRequest | Request) -> None:
    spend(scope, f"ip:{client_address(request)}")


def spend_for_user(scope: str, request: HttpRequest | Request) -> None:
    spend(scope, f"user:{request.user.pk}")


def limited_page(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """What a page answers once its allowance is spent: 429, with when to come back."""
    response = render(request, "429.html", {"exception": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def limit_posts(scope: str, *, per_user: bool = False) -> Callable:
    """A page's form posts count against the scope, per user or per client address; 429 once spent."""
    spend_one = spend_for_user if per_user else spend_for_client

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method == "POST":
                try:
                    spend_one(scope, request)
                except RateLimited as exc:
                    return limited_page(request, exc)
            return view(request, *args, **kwargs)

        return limited

    return decorate


# --- The API's throttles: DRF answers a refusal with 429, a JSON detail and Retry-After.


class LimitThrottle(BaseThrottle):
    retry_after: int | None = None

    def spend(self, request: Request, scope: str) -> None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            self.spend(request, view.throttle_scope)
        except RateLimited as exc:
            self.retry_after = exc.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after


class ClientThrottle(LimitThrottle):
    """Every request to the view counts against its scope for the client's address."""

    def spend(self, request: Request, scope: str) -> None:
        spend_for_client(scope, request)


class UserWriteThrottle(LimitThrottle):
    """Writes (not reads) count against the view's scope for the signed-in user."""

    def spend(self, request: Request, scope: str) -> None:
        if request.method not in SAFE_METHODS and request.user.is_authenticated:
            spend_for_user(scope, request)
