"""Row locks must be taken inside a transaction.

PostgreSQL raises TransactionManagementError for select_for_update() in autocommit mode;
SQLite has no row locks (`has_select_for_update` is False), so Django compiles the query
without FOR UPDATE and says nothing. These tests run without pytest-django's wrapping
transaction and record, for every locking query, whether the connection was in autocommit
mode when it was compiled: exactly the condition Django checks on PostgreSQL.
"""

import pytest
from django.contrib.auth.models import Group
from django.db.models.sql.compiler import SQLCompiler

from webapp.accounts.roles import ANNOTATORS
from webapp.labeling import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def locking_queries(monkeypatch):
    """A list of booleans, one per compiled select_for_update query: True = it ran outside a transaction."""
    seen = []
    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        if self.query.select_for_update:
            seen.append(self.connection.get_autocommit())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return seen


@pytest.fixture(autouse=True)
def annotators_group():
    """A transactional test's flush drops the group the migrations created; the next test needs it back."""
    Group.objects.get_or_create(name=ANNOTATORS)


@pytest.fixture
def session(fer_small, admin_user):
    return services.create_session(dataset=fer_small, name="locks", user=admin_user, split="val", labels_per_item=1)


def _prepare(session, annotator, action: str):
    """Bring the session to where `action` can run: an item held, or answered."""
    if action == "next_assignment":
        return None
    assignment = services.next_assignment(session, annotator)
    if action in ("undo_last", "accept_aggregates"):
        services.submit(assignment, annotator, emotion="happy", duration_ms=10)
    return assignment


ACTIONS = {
    "next_assignment": lambda session, annotator, admin, held: services.next_assignment(session, annotator),
    "skip": lambda session, annotator, admin, held: services.skip(held, annotator),
    "submit": lambda session, annotator, admin, held: services.submit(held, annotator, emotion="sad", duration_ms=9),
    "undo_last": lambda session, annotator, admin, held: services.undo_last(session, annotator),
    "accept_aggregates": lambda session, annotator, admin, held: services.accept_aggregates(session, admin),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_row_lock_is_taken_inside_a_transaction(session, make_annotators, admin_user, locking_queries, action):
    (annotator,) = make_annotators(1)
    held = _prepare(session, annotator, action)
    locking_queries.clear()  # only the action under test counts
    ACTIONS[action](session, annotator, admin_user, held)
    assert locking_queries, "the action took no row lock at all: the spy saw nothing"
    assert not any(locking_queries), f"{action}: select_for_update outside a transaction"
