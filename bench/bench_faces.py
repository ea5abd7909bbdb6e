"""Face detectors x landmark backends on HELEN's training photos: recall, false detections, landmark error, time.

    .venv/bin/python bench/bench_faces.py --data /tmp/datasets/helen_train_68          # markdown table
    .venv/bin/python bench/bench_faces.py --detectors yunet dlib --limit 200 --json
    .venv/bin/python bench/bench_faces.py --timing-only      # 640x480 p50/p95, two_pass and full search

For every detector and every landmark variant that applies to it:
- recall: share of annotated faces overlapped by a detection with IoU > 0.3 against the box of the
  face's 68 points;
- false detections per photo: detections overlapping no annotated face (an upper bound: HELEN
  annotates one or two faces a photo, and people in the background are real faces);
- landmark error of dlib's 68-point predictor on the faces found: mean point distance over the
  outer-eye-corner distance (mean, median, share over 8%), given the detector's raw box, or the
  box mapped to dlib's convention (ml.faces.box_mapping), and the same on the faces dlib's own
  detector also finds, to compare with dlib's boxes there;
- ms per photo: detection plus landmarks for every face found, p50 and mean, on the photos as
  they are (longer side <= 560 px) and, for the default (yunet + mapped dlib), letterboxed into
  640x480.
FAN is measured only when its weights are on disk (FER_FAN_WEIGHTS or the torch hub cache);
they are not shipped, and nothing is downloaded.
"""

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from ml.faces import MissingWeightsError, create_detector, create_landmarker, load_image  # noqa: E402
from ml.faces.box_mapping import DLIB_STYLE, dlib_style_box  # noqa: E402
from ml.faces.evaluation import iou, landmark_error, match, points_box, read_pts  # noqa: E402
from ml.settings import DEFAULT_YUNET_SEARCH, YUNET_SEARCHES  # noqa: E402

DEFAULT_DETECTORS = ["yunet", "opencv", "dlib", "dlib_cnn"]
TARGETS = {"recall": 0.99, "p50_ms_640x480": 30.0}


def load_photos(folder: Path, limit: int | None) -> list[dict]:
    """One entry per annotated file: its pixels and its face's 68 points.

    A photo with two annotated people comes as two files (`<id>_1`, `<id>_2`), each shrunk on its
    own, so each is a photo with one annotated face; the other person counts as a false detection
    there, one reason that column is an upper bound.
    """
    photos = []
    for path in sorted(folder.glob("*.jpg"))[:limit]:
        photos.append({"image": load_image(path), "faces": [read_pts(path.with_suffix(".pts"))]})
    return photos


def landmarkers() -> dict[str, object]:
    found = {"dlib": create_landmarker("dlib")}
    try:
        found["fan"] = create_landmarker("fan")
    except MissingWeightsError as exc:
        print(f"FAN not measured: {exc}", file=sys.stderr)
    return found


def variants(detector_name: str, names: list[str]) -> list[tuple[str, str, bool]]:
    """(label, landmark backend, map the box?) for this detector."""
    out = [(f"{name} (raw box)", name, False) for name in names]
    if detector_name in DLIB_STYLE and "dlib" in names:
        out.insert(1, ("dlib (mapped box)", "dlib", True))
    return out


def run_detector(detector, photos, marks, variant_list) -> dict:
    matched: dict[int, list] = {}  # annotated face id -> (photo index, detection)
    false, ms = 0, defaultdict(list)
    errors = defaultdict(dict)
    face_id = 0
    for p, photo in enumerate(photos):
        start = time.perf_counter()
        dets = detector.detect(photo["image"])
        detect_ms = (time.perf_counter() - start) * 1000.0
        truth_boxes = [points_box(points) for points in photo["faces"]]
        used = set()
        for points, truth in zip(photo["faces"], truth_boxes, strict=True):
            index = match([d.box for d in dets], truth)
            if index is not None:
                matched[face_id] = (p, dets[index], points)
                used.add(index)
            face_id += 1
        false += sum(1 for i, d in enumerate(dets) if i not in used and max(iou(d.box, t) for t in truth_boxes) <= 0.3)
        for label, backend, mapped in variant_list:
            start = time.perf_counter()
            for det in dets:
                box = dlib_style_box(det, detector.name) if mapped else det.box
                marks[backend].predict(photo["image"], box)
            ms[label].append(detect_ms + (time.perf_counter() - start) * 1000.0)
    for fid, (p, det, points) in matched.items():
        for label, backend, mapped in variant_list:
            box = dlib_style_box(det, detector.name) if mapped else det.box
            errors[label][fid] = landmark_error(marks[backend].predict(photos[p]["image"], box), points)
    return {"matched": set(matched), "faces": face_id, "false": false, "ms": ms, "errors": errors}


def letterboxed(image: np.ndarray) -> np.ndarray:
    """The photo fitted into a 640x480 grey canvas."""
    scale = min(640 / image.shape[1], 480 / image.shape[0])
    small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    canvas = np.full((480, 640, 3), 128, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    return canvas


def letterboxed_ms(detectors: dict, landmarker, photos, runs: int = 1) -> dict[str, list[list[float]]]:
    """Detection + mapped-box landmarks, `runs` times per photo and detector, each photo letterboxed into 640x480.

    The detectors take turns on each photo, so a busy spell of the machine falls on all of them alike."""
    times = {label: [] for label in detectors}
    for photo in photos:
        canvas = letterboxed(photo["image"])
        runs_ms = {label: [] for label in detectors}
        for _ in range(runs):
            for label, detector in detectors.items():
                start = time.perf_counter()
                for det in detector.detect(canvas):
                    landmarker.predict(canvas, dlib_style_box(det, detector.name))
                runs_ms[label].append((time.perf_counter() - start) * 1000.0)
        for label in detectors:
            times[label].append(runs_ms[label])
    return times


def error_stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    arr = np.array(values)
    return {
        "n": len(arr),
        "mean": round(float(arr.mean()), 4),
        "median": round(float(np.median(arr)), 4),
        "over_8pct": round(float(np.mean(arr > 0.08)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/tmp/datasets/helen_train_68"))
    parser.add_argument("--detectors", nargs="+", default=DEFAULT_DETECTORS)
    parser.add_argument("--limit", type=int, default=None, help="first N images only")
    parser.add_argument("--cnn-limit", type=int, default=100, help="dlib_cnn takes ~1-2 s a photo: first N images")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timing-only", action="store_true", help="only the 640x480 timing of the default")
    parser.add_argument(
        "--yunet-search", choices=YUNET_SEARCHES, default=DEFAULT_YUNET_SEARCH, help="YuNet's search for the recall run"
    )
    parser.add_argument(
        "--timing-searches", nargs="+", choices=YUNET_SEARCHES, default=list(YUNET_SEARCHES),
        help="YuNet searches timed on 640x480 (taking turns on each photo)",
    )  # fmt: skip
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    photos = load_photos(args.data, args.limit)
    marks = landmarkers()
    if args.timing_only:
        print(json.dumps(timing(marks, photos, args.timing_searches)))
        return
    results = {}
    # dlib's own detector with dlib's landmarks: the reference every other detector is compared with.
    reference = run_detector(create_detector("dlib"), photos, marks, variants("dlib", list(marks)))
    for name in args.detectors:
        subset = photos[: args.cnn_limit] if name == "dlib_cnn" else photos
        variant_list = variants(name, list(marks))
        options = {"search": args.yunet_search} if name == "yunet" else {}
        detector = None if name == "dlib" else create_detector(name, **options)
        run = reference if name == "dlib" else run_detector(detector, subset, marks, variant_list)
        shared = run["matched"] & reference["matched"] if len(subset) == len(photos) else set()
        rows = []
        for label, _backend, _mapped in variant_list:
            errs = run["errors"][label]
            rows.append({
                "landmarks": label,
                "error": error_stats(list(errs.values())),
                "error_on_faces_dlib_finds": error_stats([errs[f] for f in shared]),
                "ms_p50": round(statistics.median(run["ms"][label]), 1),
                "ms_mean": round(statistics.fmean(run["ms"][label]), 1),
            })  # fmt: skip
        results[name] = {
            "photos": len(subset),
            "faces": run["faces"],
            "recall": round(len(run["matched"]) / run["faces"], 4),
            "false_per_photo": round(run["false"] / len(subset), 3),
            "rows": rows,
        }
        print(f"{name}: done", file=sys.stderr)
    dlib_own = error_stats(list(reference["errors"]["dlib (raw box)"].values()))
    summary = {
        "dlib_own_boxes_error": dlib_own,
        "yunet_search": args.yunet_search,
        **timing(marks, photos, args.timing_searches),
        "targets": TARGETS,
    }
    if args.json:
        print(json.dumps({"detectors": results, **summary}, indent=2))
    else:
        print(markdown(results, summary))


def timing(marks, photos, searches=YUNET_SEARCHES) -> dict:
    """p50/p95 of detection + landmarks on 200 photos letterboxed into 640x480, 3 runs each, per YuNet search."""
    detectors = {search: create_detector("yunet", search=search) for search in searches}
    times = letterboxed_ms(detectors, marks["dlib"], photos[:200], runs=3)
    by_search = {
        search: {
            "p50": round(float(np.median(t)), 1),
            "p95": round(float(np.percentile(t, 95)), 1),
            # The least of each photo's runs: the cost without other processes' interruptions.
            "p50_best_of_runs": round(float(np.median(np.min(t, axis=1))), 1),
        }
        for search, t in times.items()
    }
    return {"default_640x480_ms": by_search.get(DEFAULT_YUNET_SEARCH), "yunet_search_640x480_ms": by_search}


def markdown(results: dict, summary: dict) -> str:
    lines = [
        "| detector | photos | recall | false / photo | landmarks | error mean | median | > 8% "
        "| on faces dlib finds: mean (n) | ms / photo p50 (mean) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for row in result["rows"]:
            err, shared = row["error"], row["error_on_faces_dlib_finds"]
            shared_text = f"{shared['mean']:.2%} ({shared['n']})" if shared["n"] else "—"
            lines.append(
                f"| {name} | {result['photos']} | {result['recall']:.1%} | {result['false_per_photo']:.2f} "
                f"| {row['landmarks']} | {err['mean']:.2%} | {err['median']:.2%} | {err['over_8pct']:.1%} "
                f"| {shared_text} | {row['ms_p50']} ({row['ms_mean']}) |"
            )
    own = summary["dlib_own_boxes_error"]
    lines.append("")
    lines.append(f"dlib's landmarks from dlib's own boxes (faces dlib finds): mean {own['mean']:.2%}, n {own['n']}")
    lines.append(f"yunet's search in the recall run above: {summary['yunet_search']}")
    for search, t in summary["yunet_search_640x480_ms"].items():
        lines.append(
            f"yunet ({search} search) + mapped dlib, photos letterboxed to 640x480: p50 {t['p50']} ms, "
            f"p95 {t['p95']} ms, p50 of each photo's best of 3 runs {t['p50_best_of_runs']} ms"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
