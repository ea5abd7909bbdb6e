"""A bounded schemathesis run over every operation of /api/schema/, as an admin and as an annotator:
whatever the generated input, the answer is never a server error (the over-large integers of
issue 17 were found this way)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from tests.webapp.privacy_world import build_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 8  # about 50 operations x 8 cases x 2 roles: under a minute on two cores


@pytest.fixture
def api_schema(db, monkeypatch):
    from webapp.health import views as health_views

    monkeypatch.setattr(health_views, "run_all_checks", lambda: {"status": "ok", "checks": {}})  # no worker waits
    # As Django's test client does: a request must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db):
    world = build_world()
    return {role: Token.objects.create(user=getattr(world, role)).key for role in ("admin", "annotator")}


def test_no_input_makes_a_server_error(api_schema, tokens):
    """Each operation in turn, driven by hypothesis directly (one test, one database)."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def fuzz(case):
            for key in tokens.values():
                case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(exc)[:500]}")
    assert not failures, "\n".join(failures)
