"""Every URL pattern, tried by every role, against the rule of webapp/core/access.py.

The patterns come from Django's resolver, so a new endpoint without a row here fails
`test_every_endpoint_has_a_row`. Each row names the roles admitted; every other role must
be refused with the code the row (or its kind's default) says. Admitted means: not
401/403/404, not sent to the login page, and no server error (a 400 for a missing body is
admitted: the role got past the rule). Each request runs in a rolled-back savepoint, so
deleting or closing something in one row does not change the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.webapp.privacy_world import World, build_world
from webapp.datasets.exports import EXPORTS as DATASET_EXPORTS
from webapp.labeling.exports import EXPORTS as SESSION_EXPORTS

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "anonymous_owner", "user", "other", "annotator", "outsider", "guest", "admin"]
ANONYMOUS = {"anonymous", "anonymous_owner"}
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - ANONYMOUS
ADMIN = {"admin"}
LABELERS = {"annotator", "outsider", "guest", "admin"}  # may label `session` (annotators: every open one)
OWNER = {"user", "admin"}  # `upload` belongs to `user`; `other` is someone else
LOGIN = "login"  # a page's answer to anonymous visitors: a redirect to the login page
HUGE = 99999999999999999999999


@dataclass
class Row:
    name: str  # the URL pattern's name; "name#variant" for a second object
    method: str
    url: object  # World -> path
    kind: str  # "page" (anonymous: login redirect) or "api" (anonymous: 401); logged-in refusals: 403
    admitted: set[str]
    refusals: dict[str, object] = field(default_factory=dict)  # role -> code, over the kind's default

    def expected(self, role: str):
        if role in self.admitted:
            return "ok"
        if role in self.refusals:
            return self.refusals[role]
        if role in ANONYMOUS:
            return LOGIN if self.kind == "page" else 401
        return 403


def hidden(*roles) -> dict:
    """Objects these roles may not see: 404, so their existence is not confirmed."""
    return dict.fromkeys(roles, 404)


NOT_OWNER = hidden("anonymous", "anonymous_owner", "other", "annotator", "outsider", "guest")
NOT_LABELER = hidden("user", "other")
ASSIGNMENT_HOLDER = hidden("user", "other", "outsider", "guest", "admin")
dataset_export, session_export = next(iter(DATASET_EXPORTS)), next(iter(SESSION_EXPORTS))

ROWS = [
    # site
    Row("core:home", "get", lambda w: "/", "page", EVERYONE),
    Row("core:section", "get", lambda w: "/section/upload/", "page", EVERYONE),
    Row("core:favicon", "get", lambda w: "/favicon.ico", "page", EVERYONE),
    Row("accounts:login", "get", lambda w: "/accounts/login/", "page", EVERYONE),
    Row("accounts:logout", "post", lambda w: "/accounts/logout/", "page", EVERYONE),
    # the annotators page: admins add, deactivate and reactivate annotators
    Row("accounts:annotators", "get", lambda w: "/accounts/annotators/", "page", ADMIN),
    Row("accounts:annotators#post", "post", lambda w: "/accounts/annotators/", "page", ADMIN),
    Row("accounts:deactivate", "post", lambda w: f"/accounts/annotators/{w.outsider.pk}/deactivate/", "page", ADMIN),
    Row("accounts:reactivate", "post", lambda w: f"/accounts/annotators/{w.outsider.pk}/reactivate/", "page", ADMIN),
    Row("health:page", "get", lambda w: "/health/", "page", EVERYONE),
    Row("health:api", "get", lambda w: "/api/health/", "api", EVERYONE),
    Row("api-schema", "get", lambda w: "/api/schema/", "api", EVERYONE),
    Row("api-docs", "get", lambda w: "/api/docs/", "page", EVERYONE),
    # datasets: admins only, the corrections dataset included
    Row("datasets:list", "get", lambda w: "/datasets/", "page", ADMIN),
    Row("datasets:detail", "get", lambda w: f"/datasets/{w.dataset.pk}/", "page", ADMIN),
    Row("datasets:detail#corrections", "get", lambda w: f"/datasets/{w.corrections_item.dataset_id}/", "page", ADMIN),
    Row("datasets:item", "get", lambda w: f"/datasets/items/{w.item.pk}/", "page", ADMIN),
    Row("datasets:item-image", "get", lambda w: f"/datasets/items/{w.item.pk}/image", "page", ADMIN),
    Row("datasets:item-image#corrections", "get", lambda w: f"/datasets/items/{w.corrections_item.pk}/image", "page",
        ADMIN),  # fmt: skip
    Row("datasets:import", "get", lambda w: f"/datasets/imports/{w.import_job.pk}/", "page", ADMIN),
    Row("datasets:predict", "post", lambda w: f"/datasets/{w.dataset.pk}/predict/", "page", ADMIN),
    Row("datasets:landmarks", "post", lambda w: f"/datasets/{w.dataset.pk}/landmarks/", "page", ADMIN),
    Row("datasets:export", "get", lambda w: f"/datasets/{w.dataset.pk}/export/{dataset_export}", "page", ADMIN),
    Row("datasets:api-list", "get", lambda w: "/api/datasets/", "api", ADMIN),
    Row("datasets:api-detail", "get", lambda w: f"/api/datasets/{w.dataset.pk}/", "api", ADMIN),
    Row("datasets:api-items", "get", lambda w: f"/api/datasets/{w.dataset.pk}/items/", "api", ADMIN),
    Row("datasets:api-items#corrections", "get", lambda w: f"/api/datasets/{w.corrections_item.dataset_id}/items/",
        "api", ADMIN),  # fmt: skip
    Row("datasets:api-predict", "post", lambda w: f"/api/datasets/{w.dataset.pk}/predict/", "api", ADMIN),
    Row("datasets:api-landmarks", "post", lambda w: f"/api/datasets/{w.dataset.pk}/landmarks/", "api", ADMIN),
    Row("datasets:api-export", "get", lambda w: f"/api/datasets/{w.dataset.pk}/export/{dataset_export}", "api", ADMIN),
    Row("datasets:api-item", "get", lambda w: f"/api/items/{w.item.pk}/", "api", ADMIN),
    Row("datasets:api-prediction-job", "get", lambda w: f"/api/prediction-jobs/{w.prediction_job.pk}/", "api", ADMIN),
    Row("datasets:api-landmark-job", "get", lambda w: f"/api/landmark-jobs/{w.landmark_job.pk}/", "api", ADMIN),
    Row("datasets:api-import-create", "post", lambda w: "/api/imports/", "api", ADMIN),
    Row("datasets:api-import-detail", "get", lambda w: f"/api/imports/{w.import_job.pk}/", "api", ADMIN),
    # labeling
    Row("labeling:list", "get", lambda w: "/labeling/", "page", LOGGED_IN),
    Row("labeling:detail", "get", lambda w: f"/labeling/{w.session.pk}/", "page", ADMIN),
    Row("labeling:label", "get", lambda w: f"/labeling/{w.session.pk}/label/", "page", LABELERS, NOT_LABELER),
    Row("labeling:label#other-session", "get", lambda w: f"/labeling/{w.other_session.pk}/label/", "page",
        LABELERS - {"guest"}, hidden("user", "other", "guest")),  # fmt: skip
    Row("labeling:join", "get", lambda w: f"/labeling/join/{w.session.invite_token}/", "page", EVERYONE),
    Row("labeling:export", "get", lambda w: f"/labeling/{w.session.pk}/export/{session_export}", "page", ADMIN),
    Row("labeling:close", "post", lambda w: f"/labeling/{w.session.pk}/close/", "page", ADMIN),
    Row("labeling:assignment-image", "get", lambda w: f"/labeling/assignments/{w.assignment.pk}/image", "page",
        {"annotator"}, ASSIGNMENT_HOLDER),  # fmt: skip
    Row("labeling:api-create", "post", lambda w: "/api/labeling/sessions/", "api", ADMIN),
    Row("labeling:api-statistics", "get", lambda w: f"/api/labeling/sessions/{w.session.pk}/statistics/", "api", ADMIN),
    Row("labeling:api-next", "post", lambda w: f"/api/labeling/sessions/{w.session.pk}/next/", "api", LABELERS,
        NOT_LABELER),  # fmt: skip
    Row("labeling:api-next#other-session", "post", lambda w: f"/api/labeling/sessions/{w.other_session.pk}/next/",
        "api", LABELERS - {"guest"}, hidden("user", "other", "guest")),  # fmt: skip
    Row("labeling:api-undo", "post", lambda w: f"/api/labeling/sessions/{w.session.pk}/undo/", "api", LABELERS,
        NOT_LABELER),  # fmt: skip
    Row("labeling:api-release", "post", lambda w: f"/api/labeling/sessions/{w.session.pk}/release/", "api", LABELERS,
        NOT_LABELER),  # fmt: skip
    Row("labeling:api-close", "post", lambda w: f"/api/labeling/sessions/{w.session.pk}/close/", "api", ADMIN),
    Row("labeling:api-accept", "post", lambda w: f"/api/labeling/sessions/{w.session.pk}/accept/", "api", ADMIN),
    Row("labeling:api-accept-preview", "get", lambda w: f"/api/labeling/sessions/{w.session.pk}/accept/preview/",
        "api", ADMIN),  # fmt: skip
    Row("labeling:api-export", "get", lambda w: f"/api/labeling/sessions/{w.session.pk}/export/{session_export}",
        "api", ADMIN),  # fmt: skip
    Row("labeling:api-submit", "post", lambda w: f"/api/labeling/assignments/{w.assignment.pk}/submit/", "api",
        {"annotator"}, ASSIGNMENT_HOLDER),  # fmt: skip
    Row("labeling:api-skip", "post", lambda w: f"/api/labeling/assignments/{w.assignment.pk}/skip/", "api",
        {"annotator"}, ASSIGNMENT_HOLDER),  # fmt: skip
    # models and evaluations: admins only
    Row("modelzoo:leaderboard", "get", lambda w: "/leaderboard/", "page", ADMIN),
    Row("modelzoo:confusion", "get", lambda w: f"/leaderboard/evaluations/{w.evaluation.pk}/confusion.png", "page",
        ADMIN),  # fmt: skip
    Row("modelzoo:api-evaluate", "post", lambda w: f"/api/models/{w.version.pk}/evaluate/", "api", ADMIN),
    Row("modelzoo:api-evaluations", "get", lambda w: f"/api/models/{w.version.pk}/evaluations/", "api", ADMIN),
    Row("modelzoo:api-list", "get", lambda w: "/api/models/", "api", ADMIN),
    Row("modelzoo:api-detail", "get", lambda w: f"/api/models/{w.version.pk}/", "api", ADMIN),
    Row("modelzoo:api-promote", "post", lambda w: f"/api/models/{w.version.pk}/promote/", "api", ADMIN),
    Row("modelzoo:api-promotion-preview", "get", lambda w: f"/api/models/{w.version.pk}/promotion-preview/", "api",
        ADMIN),  # fmt: skip
    Row("modelzoo:api-rollback", "post", lambda w: "/api/models/rollback/", "api", ADMIN),
    Row("modelzoo:api-promotions", "get", lambda w: "/api/promotions/", "api", ADMIN),
    # uploads: the owner (a logged-in user, or the anonymous visitor's browser session) and admins
    Row("uploads:upload", "get", lambda w: "/upload/", "page", EVERYONE),
    Row("uploads:gallery", "get", lambda w: "/gallery/", "page", EVERYONE),
    Row("uploads:detail", "get", lambda w: f"/gallery/{w.upload.pk}/", "page", OWNER, NOT_OWNER),
    Row("uploads:detail#anonymous", "get", lambda w: f"/gallery/{w.anon_upload.pk}/", "page",
        {"anonymous_owner", "admin"}, hidden(*(EVERYONE - {"anonymous_owner", "admin"}))),  # fmt: skip
    Row("uploads:delete", "post", lambda w: f"/gallery/{w.upload.pk}/delete/", "page", OWNER, NOT_OWNER),
    Row("uploads:photo", "get", lambda w: f"/gallery/{w.upload.pk}/photo", "page", OWNER, NOT_OWNER),
    Row("uploads:photo#anonymous", "get", lambda w: f"/gallery/{w.anon_upload.pk}/photo", "page",
        {"anonymous_owner", "admin"}, hidden(*(EVERYONE - {"anonymous_owner", "admin"}))),  # fmt: skip
    Row("uploads:face-file", "get", lambda w: f"/gallery/faces/{w.face.pk}/crop.png", "page", OWNER, NOT_OWNER),
    Row("uploads:face-file#saliency", "get", lambda w: f"/gallery/faces/{w.face.pk}/saliency.png", "page", OWNER,
        NOT_OWNER),  # fmt: skip
    Row("uploads:api-predict", "post", lambda w: "/api/predict/", "api", EVERYONE),
    Row("uploads:api-uploads", "get", lambda w: "/api/uploads/", "api", EVERYONE),
    Row("uploads:api-uploads#post", "post", lambda w: "/api/uploads/", "api", EVERYONE),
    Row("uploads:api-upload", "get", lambda w: f"/api/uploads/{w.upload.pk}/", "api", OWNER, NOT_OWNER),
    Row("uploads:api-upload#delete", "delete", lambda w: f"/api/uploads/{w.upload.pk}/", "api", OWNER, NOT_OWNER),
    Row("uploads:api-upload#anonymous", "delete", lambda w: f"/api/uploads/{w.anon_upload.pk}/", "api",
        {"anonymous_owner", "admin"}, hidden(*(EVERYONE - {"anonymous_owner", "admin"}))),  # fmt: skip
    Row("uploads:api-faces", "get", lambda w: "/api/faces/", "api", EVERYONE),
    Row("uploads:api-face-corrections", "post", lambda w: f"/api/faces/{w.face.pk}/corrections/", "api", OWNER,
        hidden("other", "annotator", "outsider", "guest")),  # fmt: skip
    # training: admins only
    Row("training:list", "get", lambda w: "/training/", "page", ADMIN),
    Row("training:run", "get", lambda w: f"/training/runs/{w.run.pk}/", "page", ADMIN),
    Row("training:run-curves", "get", lambda w: f"/training/runs/{w.run.pk}/curves/", "page", ADMIN),
    Row("training:api-runs", "get", lambda w: "/api/training/runs/", "api", ADMIN),
    Row("training:api-runs#post", "post", lambda w: "/api/training/runs/", "api", ADMIN),
    Row("training:api-run", "get", lambda w: f"/api/training/runs/{w.run.pk}/", "api", ADMIN),
    Row("training:api-run-cancel", "post", lambda w: f"/api/training/runs/{w.run.pk}/cancel/", "api", ADMIN),
    Row("training:api-architectures", "get", lambda w: "/api/training/architectures/", "api", ADMIN),
    Row("training:api-queues", "get", lambda w: "/api/training/queues/", "api", ADMIN),
]


def url_patterns(patterns=None, prefix: str = "", namespace: str | None = None):
    """(route, name) of every URL pattern the site answers, from Django's resolver."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern),
                                    pattern.namespace or namespace)  # fmt: skip
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{namespace}:{pattern.name}" if namespace else str(pattern.name)


def site_patterns() -> dict[str, str]:
    """The project's patterns; Django's admin site (staff only, its own login) is checked on its own below."""
    return {name: route for route, name in url_patterns() if not name.startswith("admin:")}


def test_every_endpoint_has_a_row():
    rows = {row.name.split("#")[0] for row in ROWS}
    patterns = set(site_patterns())
    assert not patterns - rows, f"endpoints without a row in the access matrix: {sorted(patterns - rows)}"
    assert not rows - patterns, f"rows for endpoints that no longer exist: {sorted(rows - patterns)}"


@pytest.fixture
def world(monkeypatch):
    from webapp.health import views as health_views

    report = {"status": "ok", "checks": {"web": {"ok": True, "required": True, "message": "up", "latency_ms": 0,
                                                 "details": {"pid": 1}}}}  # fmt: skip
    monkeypatch.setattr(health_views, "run_all_checks", lambda: report)  # no waiting for workers
    monkeypatch.setattr("webapp.health.services.answering_queues", lambda timeout: {"cpu": True, "gpu": False})
    return build_world()


def answer(world: World, role: str, row: Row):
    """`role`'s answer to `row`, in a savepoint that is rolled back."""
    with transaction.atomic():
        client = world.client(role)
        response = getattr(client, row.method)(row.url(world))
        transaction.set_rollback(True)
    return response


def verdict(response) -> object:
    code = response.status_code
    if code == 302 and response["Location"].startswith("/accounts/login/"):
        return LOGIN
    if code in (401, 403, 404) or code >= 500:
        return code
    return "ok"


def test_each_role_gets_what_the_rule_says(world):
    wrong = []
    for row in ROWS:
        for role in ROLES:
            got, expected = verdict(answer(world, role, row)), row.expected(role)
            if got != expected:
                wrong.append(f"{row.method.upper()} {row.name} as {role}: {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_the_admin_site_is_for_staff_only(world):
    assert world.client("admin").get("/admin/").status_code == 200
    for role in ROLES[:-1]:
        response = world.client(role).get("/admin/uploads/upload/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), role


def test_over_large_ids_are_never_a_server_error(world):
    """Every route with an id, given one past 64 bits, as an admin (who passes every rule): 400 or 404."""
    client = world.client("admin")
    for name, route in site_patterns().items():
        if "<int:pk>" not in route:
            continue
        path = "/" + route.replace("<int:pk>", str(HUGE)).replace("<str:kind>", "x").replace("<str:token>", "x")
        for method in ("get", "post"):
            code = getattr(client, method)(path).status_code
            assert code in (400, 404, 405), f"{method.upper()} {name}: {code}"
