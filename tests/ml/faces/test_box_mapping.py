"""dlib's 68 points from YuNet's boxes mapped to dlib's box convention beat those from the raw boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.faces import create_detector, create_landmarker, load_image
from ml.faces.box_mapping import dlib_style_box
from ml.faces.detection import Detection
from ml.faces.evaluation import landmark_error, match, points_box, read_pts

HELEN = Path(__file__).resolve().parents[2] / "fixtures" / "helen68"


@pytest.fixture(scope="module")
def annotated():
    """(image, truth points, YuNet detection of the annotated face) for each fixture photo."""
    yunet = create_detector("yunet")
    faces = []
    for path in sorted(HELEN.glob("*.jpg")):
        image, truth = load_image(path), read_pts(path.with_suffix(".pts"))
        found = yunet.detect(image)
        index = match([d.box for d in found], points_box(truth))
        assert index is not None, path.name
        faces.append((image, truth, found[index]))
    return faces


def test_mapped_boxes_give_smaller_landmark_error(annotated):
    landmarker = create_landmarker("dlib")
    raw = [landmark_error(landmarker.predict(im, det.box), truth) for im, truth, det in annotated]
    mapped = [
        landmark_error(landmarker.predict(im, dlib_style_box(det, "yunet")), truth) for im, truth, det in annotated
    ]

    assert np.mean(mapped) < 0.8 * np.mean(raw)
    assert max(mapped) < 0.05  # every face under 5% of the outer-eye-corner distance


def test_without_points_the_box_mapping_is_used():
    with_points = Detection((100, 100, 80, 100), 0.9, ((120, 140), (160, 140), (140, 160), (125, 180), (155, 180)))
    without = Detection((100, 100, 80, 100), 0.9)

    x, y, w, h = dlib_style_box(without, "yunet")
    assert w == h and (x, y, w, h) != without.box
    assert dlib_style_box(with_points, "yunet") != (x, y, w, h)
    assert dlib_style_box(without, "dlib") == without.box  # dlib's own boxes pass unchanged


def test_pts_reader_rejects_other_files(tmp_path):
    (tmp_path / "x.pts").write_text("version: 1\nn_points: 3\n{\n1 2\n3 4\n}\n")
    with pytest.raises(ValueError, match="declares 3 points but lists 2"):
        read_pts(tmp_path / "x.pts")
