"""The API against its own OpenAPI schema: Schemathesis generates requests for every operation.

Each operation gets Schemathesis's coverage phase (the boundary values of every parameter and field)
and five derandomized fuzzed examples, valid and invalid: about 1,050 requests over the 46
operations in about a minute, so it runs in every `make test`. Requests carry a real user's
API token so the signed-in endpoints are reached too. Checked: no server error, every status and
content type documented, every body matching its schema (errors: the Error component, config/schema.py).
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from config.wsgi import application


def no_server_error(ctx, response, case):
    """A 5xx is a bug, except health's documented 503: no Celery worker runs beside the tests."""
    if case.operation.path == "/api/health/" and response.status_code == 503:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_error, content_type_conformance, status_code_conformance, response_schema_conformance]


@pytest.fixture
def connection_kept_open(db):
    """Like Django's test client: requests run inside the test's transaction, so no request may close the connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Coverage phase: boundary values of every parameter and field, positive ones (fuzzing sends invalid ones too).
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": [], "generation": {"mode": "positive"}}}})
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def token(connection_kept_open, make_user, settings) -> str:
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.2  # no Celery worker runs here: each health example waits for none
    return Token.objects.create(user=make_user("contract")).key


@schema.parametrize()
@hypothesis_settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_answers_as_documented(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
