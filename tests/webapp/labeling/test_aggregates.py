"""Per-item aggregates, their CSV export (page and API), the session page's plots, and accepting twice."""

import csv
import io

import numpy as np
import pytest

from webapp.datasets.models import Label
from webapp.labeling import charts, exports, services, views
from webapp.labeling.models import Acceptance
from webapp.labeling.statistics import session_statistics

pytestmark = pytest.mark.django_db

# Three annotators on the 7 val items; item k (0-based, by hand-out order) gets these answers.
EMOTIONS = [("happy", "happy", "happy"), ("sad", "sad", "anger"), ("fear", "surprise", "neutral")]
VALENCE = (0.9, 0.1, 0.2)
AROUSAL = (-0.4, 0.6, 0.5)


def _answer(annotator_index: int, item_index: int) -> dict:
    emotion = EMOTIONS[item_index % 3][annotator_index]
    return {
        "emotion": emotion,
        "valence": VALENCE[annotator_index],
        "arousal": AROUSAL[annotator_index] * (item_index % 2 or -1),
    }


@pytest.fixture
def labelled(fer_small, admin_user, make_annotators):
    """A 'both' session over the val split, every item answered by three annotators as above."""
    session = services.create_session(
        dataset=fer_small, name="both", user=admin_user, split="val", ask="both", labels_per_item=3
    )
    order = list(session.session_items.order_by("id").values_list("item_id", flat=True))
    for a, annotator in enumerate(make_annotators(3)):
        while assignment := services.next_assignment(session, annotator):
            item_index = order.index(assignment.session_item.item_id)
            services.submit(assignment, annotator, duration_ms=1000 * (a + 1), **_answer(a, item_index))
    return session, order


def test_item_aggregates_have_shares_posteriors_medians_and_spreads(labelled):
    session, order = labelled
    stats = session_statistics(session)
    for item_index, item_id in enumerate(order):
        aggregate = stats.aggregates[item_id]
        emotions = EMOTIONS[item_index % 3]
        arousal = [AROUSAL[a] * (item_index % 2 or -1) for a in range(3)]
        assert aggregate.labels == 3 and sum(aggregate.votes.values()) == 3
        top = max(emotions.count(e) for e in emotions)
        assert aggregate.majority_share == round(top / 3, 4)
        assert aggregate.tied == (top == 1)
        assert aggregate.valence == round(float(np.mean(VALENCE)), 4)
        assert aggregate.valence_median == 0.2 and aggregate.valence_std == round(float(np.std(VALENCE)), 4)
        assert aggregate.arousal_median == round(float(np.median(arousal)), 4)
        assert aggregate.arousal_std == round(float(np.std(arousal)), 4)
        assert 0 < aggregate.dawid_skene_probability <= 1
        if top == 3:  # unanimous: Dawid-Skene agrees and is all but certain
            assert aggregate.dawid_skene == aggregate.majority == "happy"
            assert aggregate.dawid_skene_probability > 0.9


def test_statistics_api_carries_the_new_fields(admin_client, labelled):
    session, order = labelled
    body = admin_client.get(f"/api/labeling/sessions/{session.pk}/statistics/").json()
    first = body["aggregates"][str(order[0])]
    assert {"labels", "majority_share", "dawid_skene_probability", "valence_median", "arousal_std"} <= set(first)
    assert admin_client.get("/api/labeling/sessions/999999/statistics/").status_code == 404


def _read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_aggregates_csv_reads_back_as_the_statistics(labelled):
    session, order = labelled
    text = exports.aggregates_csv(session)
    assert text.splitlines()[0] == ",".join(exports.AGGREGATE_COLUMNS)
    rows = _read_csv(text)
    assert [int(r["item_id"]) for r in rows] == sorted(order)
    stats = session_statistics(session)
    for row in rows:
        aggregate = stats.aggregates[int(row["item_id"])]
        assert row["source_name"].startswith("val/") and row["split"] == "val" and row["is_gold"] == "False"
        assert (int(row["labels"]), int(row["votes"])) == (3, 3)
        assert row["majority"] == aggregate.majority and row["majority_tied"] == str(aggregate.tied)
        assert float(row["majority_share"]) == aggregate.majority_share
        assert row["dawid_skene"] == aggregate.dawid_skene
        assert float(row["dawid_skene_probability"]) == aggregate.dawid_skene_probability
        assert float(row["valence_median"]) == 0.2 and float(row["valence_mean"]) == aggregate.valence
        expected = {"valence_std": aggregate.valence_std, "arousal_mean": aggregate.arousal,
                    "arousal_median": aggregate.arousal_median, "arousal_std": aggregate.arousal_std}  # fmt: skip
        assert {column: float(row[column]) for column in expected} == expected


def test_aggregates_csv_leaves_unanswered_items_out_and_va_empty_when_not_asked(fer_small, admin_user, annotator):
    session = services.create_session(dataset=fer_small, name="emotion", user=admin_user, split="val")
    assert _read_csv(exports.aggregates_csv(session)) == []
    services.submit(services.next_assignment(session, annotator), annotator, emotion="sad", duration_ms=10)
    (row,) = _read_csv(exports.aggregates_csv(session))
    assert (row["majority"], row["majority_share"], row["valence_mean"], row["arousal_std"]) == ("sad", "1.0", "", "")


def test_export_api_and_page(admin_client, api_client, client, admin_user, annotator, labelled):
    session, order = labelled
    base = f"/api/labeling/sessions/{session.pk}/export"
    response = admin_client.get(f"{base}/aggregates.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}-aggregates.csv"'
    assert len(_read_csv(response.content.decode())) == len(order)
    assert admin_client.get(f"{base}/annotations.json").json()["session"]["id"] == session.pk
    unknown = admin_client.get(f"{base}/secrets.txt")
    assert unknown.status_code == 404 and "choose one of" in unknown.json()["error"]["message"]
    assert admin_client.get("/api/labeling/sessions/999999/export/aggregates.csv").status_code == 404
    assert api_client.get(f"{base}/aggregates.csv").status_code == 401
    api_client.force_authenticate(annotator)
    assert api_client.get(f"{base}/aggregates.csv").status_code == 403

    client.force_login(admin_user)
    page = client.get(f"/labeling/{session.pk}/export/aggregates.csv")
    assert page.status_code == 200 and page.content.decode() == response.content.decode()
    assert client.get(f"/labeling/{session.pk}/export/nope.csv").status_code == 404
    client.force_login(annotator)
    assert client.get(f"/labeling/{session.pk}/export/aggregates.csv").status_code == 403  # admins only


def test_session_page_plots_and_item_table(client, admin_user, labelled, monkeypatch):
    session, order = labelled
    client.force_login(admin_user)
    page = client.get(f"/labeling/{session.pk}/").content.decode()
    for plot in ("label-distribution", "gold-plot", "speed-plot", "va-plot"):
        assert (f'id="{plot}"' in page) == (plot != "gold-plot"), plot  # no gold items: no gold plot
    assert '<title id="dist-title">Label distribution over 7 answered items</title>' in page
    assert 'aria-labelledby="va-title va-desc"' in page and page.count('class="va-item"') == 7
    assert page.count('class="annotator-point"') == 3
    assert page.count("<tr data-item=") == 7 and "happy (1.00)" in page
    assert f'href="/labeling/{session.pk}/export/aggregates.csv"' in page

    monkeypatch.setattr(views, "AGGREGATES_PER_PAGE", 5)
    second = client.get(f"/labeling/{session.pk}/?page=2").content.decode()
    assert second.count("<tr data-item=") == 2 and "page 2 of 2 (7 items)" in second
    assert client.get(f"/labeling/{session.pk}/?page=x").status_code == 200  # a bad page number: the first


def test_label_distribution_counts_and_text_alternative(labelled):
    session, _ = labelled
    stats = session_statistics(session)
    chart = charts.label_distribution(stats)
    rows = {row["label"]: row for row in chart["rows"]}
    majorities = [a.majority for a in stats.aggregates.values() if not a.tied]
    assert rows["happy"]["majority"] == majorities.count("happy") == 3
    assert rows["sad"]["majority"] == majorities.count("sad") == 2
    assert rows["tied"]["majority"] == 2 and rows["tied"]["dawid_skene"] is None
    assert sum(r["dawid_skene"] for r in chart["rows"] if r["dawid_skene"] is not None) == 7
    assert "happy: majority 3, Dawid-Skene" in chart["summary"]
    assert charts.label_distribution(session_statistics(type(session).objects.create(
        dataset=session.dataset, name="empty", invite_token="t-empty"))) is None  # fmt: skip


def test_annotator_scatter_places_points_on_the_axes(labelled):
    session, _ = labelled
    speed = charts.annotator_scatter(session_statistics(session), "labels_per_minute")
    # durations 1 s, 2 s, 3 s: 60, 30, 20 labels/min on an axis up to 100
    assert [p["y_text"] for p in speed["points"]] == ["60.0", "30.0", "20.0"]
    assert speed["y_ticks"][-1]["text"] == "100"
    top, bottom = charts.PLOT_TOP, charts.PLOT_TOP + charts.PLOT_HEIGHT
    assert float(speed["points"][0]["cy"]) == pytest.approx(bottom - 0.6 * (bottom - top))
    assert [charts._nice_ceiling(v) for v in (0, 0.4, 7, 37.5, 120)] == [1.0, 1.0, 10.0, 50.0, 200.0]


def _crowd_labels(session) -> list[Label]:
    return list(Label.objects.filter(source="crowd", item__in=session.session_items.values("item")))


def test_accepting_again_replaces_the_sessions_labels(admin_user, labelled, fer_small):
    session, order = labelled
    other = services.create_session(dataset=fer_small, name="other", user=admin_user, split="train")
    unrelated = Label.objects.create(item=other.session_items.first().item, source="crowd", emotion="fear")

    first = services.accept_aggregates(session, admin_user, "majority")
    assert (first.labels_created, first.labels_replaced) == (7, 0)  # tied items still carry their mean VA
    first_ids = {label.pk for label in _crowd_labels(session)}
    second = services.accept_aggregates(session, admin_user, "dawid_skene")
    assert (second.method, second.labels_created, second.labels_replaced) == ("dawid_skene", 7, 7)
    labels = _crowd_labels(session)
    assert len(labels) == 7 and not first_ids & {label.pk for label in labels}
    assert all(label.emotion for label in labels)  # Dawid-Skene never ties
    assert Label.objects.filter(source="original").count() == 21 and Label.objects.filter(pk=unrelated.pk).exists()
    acceptance = Acceptance.objects.get(session=session)
    assert (acceptance.times, acceptance.method, acceptance.labels.count()) == (2, "dawid_skene", 7)


def test_accept_api_twice_and_its_refusals(admin_client, api_client, annotator, labelled, fer_small, admin_user):
    session, _ = labelled
    url = f"/api/labeling/sessions/{session.pk}/accept/"
    assert admin_client.post(url, {"method": "majority"}, format="json").json()["labels_replaced"] == 0
    again = admin_client.post(url, {"method": "majority"}, format="json")
    assert again.status_code == 201 and again.json() == {
        "method": "majority",
        "labels_created": 7,
        "labels_replaced": 7,
    }
    assert len(_crowd_labels(session)) == 7

    bad = admin_client.post(url, {"method": "mean"}, format="json")
    assert bad.status_code == 400 and "method" in bad.json()["error"]["fields"]
    assert admin_client.post("/api/labeling/sessions/999999/accept/", {}, format="json").status_code == 404
    api_client.force_authenticate(annotator)
    assert api_client.post(url, {}, format="json").status_code == 403
    empty = services.create_session(dataset=fer_small, name="unanswered", user=admin_user, split="val")
    refused = admin_client.post(f"/api/labeling/sessions/{empty.pk}/accept/", {}, format="json")
    assert (
        refused.status_code == 400
        and refused.json()["error"]["message"] == "no complete item has an answer to accept yet"
    )
    assert len(_crowd_labels(session)) == 7  # the refusal wrote and deleted nothing


def test_session_page_states_the_acceptance(client, admin_user, labelled):
    session, _ = labelled
    client.force_login(admin_user)
    assert "Not accepted yet" in client.get(f"/labeling/{session.pk}/").content.decode()
    services.accept_aggregates(session, admin_user)
    services.accept_aggregates(session, admin_user)
    page = client.get(f"/labeling/{session.pk}/").content.decode()
    assert "Accepted 2 times" in page and "(majority vote, 7 crowd labels)" in page


def test_small_session_says_dawid_skene_is_not_trusted_and_never_invents_a_label(client, admin_user, labelled):
    session, _ = labelled
    stats = session_statistics(session)
    assert stats.dawid_skene_shortfall == "7 items answered by two or more annotators (needs 20)"
    for aggregate in stats.aggregates.values():
        assert aggregate.votes.get(aggregate.dawid_skene, 0) > 0  # someone chose it
    client.force_login(admin_user)
    page = client.get(f"/labeling/{session.pk}/").content.decode()
    assert 'id="dawid-skene-shortfall"' in page and "needs 20" in page
    assert '<option value="majority" selected>' in page and "Dawid-Skene (too few answers to trust)" in page


def test_accept_preview_counts_changes_and_writes_nothing(admin_client, api_client, annotator, labelled):
    session, order = labelled
    before = Label.objects.count()
    preview = services.preview_acceptance(session, "majority")
    originals = dict(Label.objects.filter(item_id__in=order, source="original").values_list("item_id", "emotion"))
    accepted = {label.item_id: label.emotion for label in services._aggregate_labels(session, None, "majority")}
    expected = sum(1 for item, emotion in accepted.items() if emotion and originals.get(item) != emotion)
    assert preview.labels == 7 and preview.changed == expected
    assert sum(change["items"] for change in preview.changes) == expected
    assert all(change["from"] != change["to"] for change in preview.changes)
    assert Label.objects.count() == before

    # The session's own earlier accept is replaced, so it is not the "from" of the next preview.
    services.accept_aggregates(session, None, "majority")
    assert services.preview_acceptance(session, "majority").changes == preview.changes

    url = f"/api/labeling/sessions/{session.pk}/accept/preview/"
    body = admin_client.get(url, {"method": "dawid_skene"}).json()
    assert body["method"] == "dawid_skene" and body["dawid_skene_shortfall"].endswith("(needs 20)")
    assert admin_client.get(url, {"method": "vote"}).status_code == 400
    api_client.force_authenticate(annotator)
    assert api_client.get(url).status_code == 403
