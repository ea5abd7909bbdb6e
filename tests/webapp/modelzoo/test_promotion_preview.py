"""Before a promotion: the candidate beside the active model, with item counts, intervals and warnings;
and the leaderboard's accuracy/latency picture."""

from pathlib import Path

import pytest

from tests.checkpoints import write_tiny_checkpoint
from webapp.modelzoo import charts, services
from webapp.modelzoo.comparison import promotion_preview, wilson_interval
from webapp.modelzoo.models import Evaluation

pytestmark = pytest.mark.django_db


def test_wilson_interval_matches_published_values():
    # Newcombe (1998), table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-4)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-4)
    low, high = wilson_interval(14, 14)  # "1.000 on 14 items" is not certainty
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7847, abs=5e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def _confusion(correct: int, wrong: int, classes: int = 2) -> list[list[int]]:
    matrix = [[0] * classes for _ in range(classes)]
    matrix[0][0], matrix[0][1] = correct, wrong
    return matrix


@pytest.fixture
def seven_class(settings):
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "trained" / "seven.pt", seed=7,
                                 label_set="fer2013_7")  # fmt: skip
    return services.register_checkpoint(path, source="trained", name="seven")[0]


def test_preview_compares_on_shared_data_and_warns_about_missing_classes(admin_client, api_client, annotator,
                                                                         seven_class, ferplus, fer2013):  # fmt: skip
    active = services.active_version()
    Evaluation.objects.create(model_version=active, dataset=ferplus, split="val", metrics={"accuracy": 0.83},
                              confusion=_confusion(830, 170))  # fmt: skip
    Evaluation.objects.create(model_version=seven_class, dataset=ferplus, split="val", metrics={"accuracy": 0.25},
                              confusion=_confusion(250, 750))  # fmt: skip
    Evaluation.objects.create(model_version=seven_class, dataset=fer2013, split="val", metrics={"accuracy": 1.0},
                              confusion=_confusion(14, 0))  # fmt: skip

    preview = promotion_preview(seven_class)

    assert preview.active == active.tag and preview.missing_classes == ["contempt"]
    shared = next(c for c in preview.comparisons if c.dataset == ferplus.name)
    assert (shared.candidate.items, shared.active.items) == (1000, 1000)
    assert shared.difference == pytest.approx(-0.58) and shared.clearly_worse
    alone = next(c for c in preview.comparisons if c.dataset == fer2013.name)
    assert alone.active is None and alone.candidate.low == pytest.approx(0.7847, abs=5e-4)
    text = " ".join(preview.warnings)
    assert "no class for contempt" in text and "clearly less accurate (25.0% vs 83.0%)" in text
    assert "Only 14 items" in text

    body = admin_client.get(f"/api/models/{seven_class.pk}/promotion-preview/").json()
    assert body["missing_classes"] == ["contempt"] and body["comparisons"][0]["clearly_worse"] in (True, False)
    assert {c["dataset"] for c in body["comparisons"]} == {ferplus.name, fer2013.name}
    api_client.force_authenticate(annotator)
    assert api_client.get(f"/api/models/{seven_class.pk}/promotion-preview/").status_code == 403
    assert admin_client.get("/api/models/99999/promotion-preview/").status_code == 404


def test_an_unmeasured_candidate_is_said_to_be_unmeasured(seven_class):
    assert promotion_preview(seven_class).warnings[-1] == "The candidate has not been measured on any dataset yet."


def test_accuracy_latency_chart_uses_the_most_measured_split_and_marks_the_active_model(seven_class, ferplus,
                                                                                        fer2013):  # fmt: skip
    active = services.active_version()
    for version, ms, accuracy in ((active, 4.0, 0.83), (seven_class, 0.8, 0.66)):
        version.cpu_latency_ms = ms
        version.save()
        Evaluation.objects.create(model_version=version, dataset=ferplus, split="val", metrics={"accuracy": accuracy},
                                  confusion=_confusion(round(accuracy * 500), 500 - round(accuracy * 500)))  # fmt: skip
    Evaluation.objects.create(model_version=seven_class, dataset=fer2013, split="val", metrics={"accuracy": 0.5},
                              confusion=_confusion(5, 5))  # fmt: skip

    chart = charts.accuracy_latency([active, seven_class])

    assert (chart["dataset"], chart["split"]) == (ferplus.name, "val")
    by_name = {p["label"]: p for p in chart["points"]}
    assert by_name[active.name]["active"] and not by_name["seven"]["active"]
    assert float(by_name["seven"]["x"]) < float(by_name[active.name]["x"])  # faster: further left
    assert float(by_name[active.name]["y"]) < float(by_name["seven"]["y"])  # more accurate: higher up (smaller y)
    assert [t["label"] for t in chart["x_ticks"]] == ["0.1", "1", "10"]
    assert "83.0% on 500 items" in chart["summary"]


def test_leaderboard_page_has_the_chart_and_a_confirming_promote_button(client, admin_user, seven_class, ferplus,
                                                                       sent_tasks):  # fmt: skip
    active = services.active_version()
    for version in (active, seven_class):
        version.cpu_latency_ms = 2.0
        version.save()
        Evaluation.objects.create(model_version=version, dataset=ferplus, split="val", metrics={"accuracy": 0.5},
                                  confusion=_confusion(5, 5))  # fmt: skip
    client.force_login(admin_user)
    page = client.get("/leaderboard/").content.decode()
    assert 'id="accuracy-latency"' in page and page.count('class="model-point') >= 2
    assert f'data-preview="/api/models/{seven_class.pk}/promotion-preview/"' in page
    assert 'id="promote-dialog"' in page
