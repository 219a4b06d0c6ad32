"""Project-level endpoints."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.health import run_checks


class HealthView(APIView):
    """Reports whether the database, cache, channel layer and Celery workers answer."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request: Request) -> Response:
        checks = run_checks()
        healthy = all(result["ok"] for result in checks.values())
        return Response({"healthy": healthy, "checks": checks}, status=200 if healthy else 503)
