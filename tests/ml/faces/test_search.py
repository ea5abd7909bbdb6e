"""YuNet's two-pass search: the same faces as the full upscaled search, small ones too, for less work."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from ml.faces import create_detector
from ml.faces.detection import Detection, YuNetDetector
from ml.faces.search import Window, candidate_windows, inside, merge, merge_windows, two_pass
from ml.settings import PipelineSettings
from tests.ml.faces.photos import FACES, iou, photo


@pytest.fixture(scope="module")
def detectors() -> dict[str, YuNetDetector]:
    return {search: create_detector("yunet", search=search) for search in ("two_pass", "full")}


def small_face(index: int, width: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Face `index` of the group photo, shrunk so its points' box is `width` px wide, in a square 1.6x that box;
    and where the box lies in that square."""
    x, y, w, h = FACES["helen_group.jpg"][index]
    side, scale = 1.6 * max(w, h), width / w
    left, top = x + w / 2 - side / 2, y + h / 2 - side / 2
    matrix = np.array([[scale, 0, -left * scale], [0, scale, -top * scale]])
    out = round(side * scale)
    patch = cv2.warpAffine(
        photo("helen_group.jpg"), matrix, (out, out), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    return patch, (round((x - left) * scale), round((y - top) * scale), round(w * scale), round(h * scale))


def portrait_with_small_faces(small: list[tuple[int, tuple[int, int]]], width: int = 20):
    """A 640x480 photo: the astronaut's face (~100 px) and group-photo faces `width` px wide pasted at
    (x, y); the boxes where a person sees the faces."""
    canvas = np.full((480, 640, 3), 170, np.uint8)
    canvas[40:330, 60:330] = photo("astronaut.jpg")[20:310, 80:350]
    faces = [(150, 95, 100, 110)]
    for index, (left, top) in small:
        patch, (x, y, w, h) = small_face(index, width)
        canvas[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
        faces.append((left + x, top + y, w, h))
    return canvas, faces


def found_all(detections: list[Detection], faces) -> bool:
    return len(detections) == len(faces) and all(max(iou(d.box, f) for d in detections) > 0.3 for f in faces)


def same_faces(a: list[Detection], b: list[Detection]) -> bool:
    return len(a) == len(b) and all(max(iou(x.box, y.box) for y in b) > 0.5 for x in a)


@pytest.mark.parametrize("name", sorted(FACES))
def test_both_searches_find_the_same_faces_in_the_test_photos(detectors, name):
    two_pass_faces, full_faces = (detectors[s].detect(photo(name)) for s in ("two_pass", "full"))

    assert same_faces(two_pass_faces, full_faces), (two_pass_faces, full_faces)
    assert found_all(two_pass_faces, FACES[name])


@pytest.mark.parametrize(
    "small",
    [
        [(0, (420, 60))],  # scored low at the photo's size: found by searching a window upscaled
        [(1, (420, 60))],  # small but confident at the photo's size: the whole photo is searched upscaled
        [(0, (420, 60)), (3, (560, 200)), (4, (420, 380)), (9, (120, 400))],
    ],
)
def test_20_px_faces_beside_a_big_one_are_found(detectors, small):
    image, faces = portrait_with_small_faces(small)

    assert found_all(detectors["two_pass"].detect(image), faces)
    assert found_all(detectors["full"].detect(image), faces)


def test_a_weak_small_candidate_is_checked_in_a_window_not_in_the_whole_photo():
    detector = create_detector("yunet")
    image, faces = portrait_with_small_faces([(0, (420, 60))])
    searched = []

    def spy(image, scale, window=None, threshold=None):
        searched.append((scale, window))
        return detector._search_scored(image, scale, window, threshold)

    found = two_pass(image, spy, detector.search_scale(480, 640), detector.score_threshold)

    assert found_all(found, faces)
    assert searched[0] == (1.0, None) and all(scale == 1.5 and window for scale, window in searched[1:])
    assert sum(window.area for _, window in searched[1:]) < 0.1 * 640 * 480


class FakeSearch:
    """A search that answers pass 1 with `first` and records every call."""

    def __init__(self, first: list[Detection]):
        self.first, self.calls = first, []

    def __call__(self, image, scale, window=None, threshold=None):
        self.calls.append((scale, window))
        return self.first if scale == 1.0 else []


IMAGE = np.zeros((480, 640, 3), np.uint8)
BIG = Detection((100, 100, 120, 140), 0.9)


@pytest.mark.parametrize(
    ("first", "second_pass"),
    [
        ([BIG], []),  # a big face only: nothing more to search
        ([], [None]),  # no face at all: small faces may be anywhere
        ([BIG, Detection((400, 50, 24, 28), 0.8)], [None]),  # a small face: a crowd may be smaller still
        ([BIG, Detection((400, 50, 20, 22), 0.1)], ["window"]),  # a weak small candidate: its window only
        ([BIG, Detection((400, 50, 90, 100), 0.1)], []),  # a weak big one: pass 1 sees such sizes well
    ],
)
def test_what_the_first_pass_finds_decides_where_the_second_searches(first, second_pass):
    search = FakeSearch(first)
    two_pass(IMAGE, search, 1.5, 0.6)

    assert search.calls[0] == (1.0, None)
    assert [("window" if window else None) for _, window in search.calls[1:]] == second_pass
    assert all(scale == 1.5 for scale, _ in search.calls[1:])


def test_many_candidates_mean_one_search_of_the_whole_photo():
    weak = [Detection((x, y, 40, 40), 0.1) for x in range(0, 600, 130) for y in range(0, 440, 130)]
    search = FakeSearch([BIG, *weak])
    two_pass(IMAGE, search, 1.5, 0.6)

    assert search.calls == [(1.0, None), (1.5, None)]


def test_a_photo_searched_at_its_own_size_or_smaller_takes_one_pass():
    search = FakeSearch([])
    two_pass(IMAGE, search, 1.0, 0.6)
    two_pass(IMAGE, search, 0.5, 0.6)

    assert search.calls == [(1.0, None), (0.5, None)]


def test_windows_surround_their_candidate_stay_in_the_photo_and_merge_when_they_overlap():
    near = [Detection((10, 10, 20, 20), 0.1), Detection((40, 20, 20, 20), 0.1)]
    (window,) = candidate_windows(near, 480, 640)
    assert window.left == 0 and window.top == 0 and window.right >= 80 and window.bottom >= 62

    far = candidate_windows([Detection((300, 300, 20, 20), 0.1), Detection((600, 400, 20, 20), 0.1)], 480, 640)
    assert len(far) == 2 and far[1].right == 640
    assert merge_windows([Window(0, 0, 10, 10), Window(20, 0, 30, 10), Window(5, 5, 25, 8)]) == [Window(0, 0, 30, 10)]


def test_a_face_cut_by_a_window_edge_inside_the_photo_is_dropped():
    window = Window(100, 100, 200, 200)
    whole, cut = Detection((120, 120, 30, 30), 0.9), Detection((180, 120, 30, 30), 0.9)
    assert inside([whole, cut], window, 480, 640) == [whole]
    # At the photo's own edge nothing was cut off by the window.
    assert inside([Detection((0, 0, 30, 30), 0.9)], Window(0, 0, 100, 100), 480, 640) != []


def test_merge_keeps_the_best_of_each_face():
    first, second = Detection((100, 100, 40, 40), 0.7), Detection((102, 98, 40, 42), 0.9)
    other = Detection((300, 100, 40, 40), 0.8)
    assert merge([first, second, other]) == [second, other]
    assert merge([]) == []


def test_the_search_is_a_setting():
    assert PipelineSettings().yunet_search == "two_pass"
    assert PipelineSettings.from_env({}).create_detector().search == "two_pass"
    settings = PipelineSettings.from_env({"FER_YUNET_SEARCH": " Full "})
    assert settings.yunet_search == "full" and settings.create_detector("yunet").search == "full"
    with pytest.raises(ValueError, match="FER_YUNET_SEARCH must be one of two_pass, full, got 'fast'"):
        PipelineSettings.from_env({"FER_YUNET_SEARCH": "fast"})
    with pytest.raises(ValueError, match="unknown YuNet search 'fast'"):
        create_detector("yunet", search="fast")


def test_other_detectors_ignore_the_setting():
    settings = PipelineSettings.from_env({"FER_YUNET_SEARCH": "full"})
    assert "search" not in settings.detector_options("opencv")


def test_threads_sharing_a_detector_get_the_faces_of_their_own_photo(detectors):
    names = ["astronaut.jpg", "fer_two_faces.png", "helen_group.jpg", "blank.png"] * 3
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda name: len(detectors["two_pass"].detect(photo(name))), names))

    assert counts == [len(FACES[name]) for name in names]
