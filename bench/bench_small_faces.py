"""Small faces beside a big one: how many each YuNet search (FER_YUNET_SEARCH) finds, and at what cost.

    .venv/bin/python bench/bench_small_faces.py --data /tmp/datasets/helen_train_68 --scenes 150

HELEN annotates one face a photo, mostly large, so its recall says little about 20 px faces. Each
scene here is a 640x480 grey gradient with one HELEN face 120-200 px wide (its points' box) and one
other HELEN face shrunk to W px, pasted apart, each with the square 1.6x its points' box around it
(as scripts/make_group_photo.py cuts them). A small face counts as found when a detection overlaps
its points' box with IoU > 0.3. Photos 300 onwards by file name; the same scenes for every search,
which take turns on each scene for the timing. Then the median detection time of each test photo
(tests/fixtures/photos), 15 runs per search.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from ml.faces import create_detector, load_image  # noqa: E402
from ml.faces.evaluation import iou, points_box, read_pts  # noqa: E402
from ml.settings import YUNET_SEARCHES  # noqa: E402

SIZE = (480, 640)
FIXTURES = ROOT / "tests" / "fixtures" / "photos"


def cut_face(path: Path, width: float) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The square 1.6x the face's points' box, shrunk so that box is `width` px wide; the box inside it."""
    image, points = load_image(path), read_pts(path.with_suffix(".pts"))
    x, y, w, h = points_box(points)
    side, scale = 1.6 * max(w, h), width / w
    left, top = x + w / 2 - side / 2, y + h / 2 - side / 2
    matrix = np.array([[scale, 0, -left * scale], [0, scale, -top * scale]])
    out = round(side * scale)
    patch = cv2.warpAffine(image, matrix, (out, out), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return patch, ((x - left) * scale, (y - top) * scale, w * scale, h * scale)


def scenes(paths: list[Path], width: int, count: int, seed: int) -> list[tuple[np.ndarray, tuple]]:
    """`count` scenes of one big face and one `width` px face; each with the small face's points' box."""
    rng = np.random.default_rng(seed)
    height, canvas_width = SIZE
    ramp = np.linspace(120, 200, canvas_width, dtype=np.float32)[None, :, None]
    out = []
    for n in range(count):
        canvas = np.repeat(np.repeat(ramp, height, 0), 3, 2).astype(np.uint8)
        big, _ = cut_face(paths[2 * n], float(rng.integers(120, 200)))
        bx, by = int(rng.integers(0, canvas_width - big.shape[1])), int(rng.integers(0, height - big.shape[0]))
        canvas[by : by + big.shape[0], bx : bx + big.shape[1]] = big
        small, (x, y, w, h) = cut_face(paths[2 * n + 1], width)
        while True:  # a place apart from the big face
            sx, sy = int(rng.integers(0, canvas_width - small.shape[1])), int(rng.integers(0, height - small.shape[0]))
            if (
                sx >= bx + big.shape[1]
                or bx >= sx + small.shape[1]
                or sy >= by + big.shape[0]
                or by >= sy + small.shape[0]
            ):
                break
        canvas[sy : sy + small.shape[0], sx : sx + small.shape[1]] = small
        out.append((canvas, (sx + x, sy + y, w, h)))
    return out


def fixture_ms(detectors: dict, runs: int = 15) -> dict:
    """Median detection time of each committed test photo, per search, the searches taking turns."""
    out = {}
    for path in sorted(FIXTURES.glob("*.*g")):
        image = load_image(path)
        times = {search: [] for search in detectors}
        for _ in range(runs):
            for search, detector in detectors.items():
                start = time.perf_counter()
                detector.detect(image)
                times[search].append((time.perf_counter() - start) * 1000.0)
        out[path.name] = {search: round(statistics.median(t), 1) for search, t in times.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/tmp/datasets/helen_train_68"))
    parser.add_argument("--scenes", type=int, default=150, help="scenes per small-face width")
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 20, 24, 30])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    paths = sorted(args.data.glob("*.jpg"))[300:]
    detectors = {search: create_detector("yunet", search=search) for search in YUNET_SEARCHES}
    results = {}
    for width in args.widths:
        found = {search: 0 for search in detectors}
        only = {search: 0 for search in detectors}  # found by this search and not by the other
        ms = {search: [] for search in detectors}
        for canvas, face in scenes(paths, width, args.scenes, seed=width):
            hit = {}
            for search, detector in detectors.items():
                start = time.perf_counter()
                boxes = [d.box for d in detector.detect(canvas)]
                ms[search].append((time.perf_counter() - start) * 1000.0)
                hit[search] = any(iou(box, face) > 0.3 for box in boxes)
                found[search] += hit[search]
            for search in detectors:
                only[search] += hit[search] and not all(hit.values())
        results[f"{width}px"] = {
            search: {
                "found": round(found[search] / args.scenes, 3),
                "only_this_search": only[search],
                "detect_ms_p50": round(statistics.median(ms[search]), 1),
            }
            for search in detectors
        }
        print(f"{width} px: done", file=sys.stderr)
    report = {"scenes_per_width": args.scenes, "results": results, "fixture_detect_ms_p50": fixture_ms(detectors)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
