"""Fit the box dlib's 68-point predictor expects from another detector's box (and five points).

    .venv/bin/python bench/fit_landmark_boxes.py --data /tmp/datasets/helen_train_68

dlib's shape predictor was trained on the boxes of dlib's own HOG detector; fed a box of another
convention (YuNet's is taller and sits lower, Haar's is wider) it starts from a misplaced mean
shape and its error grows. On every HELEN training photo where both dlib and the other detector
find the annotated face, this fits dlib's box (centre and side) from the other detector's output
by least squares, then prints the constants to paste into ml/faces/box_mapping.py and the
landmark error on all faces the detector finds, before and after the mapping.

Box-only mapping (every detector): centre = box centre + (a*w, b*h), side = c*w + d*h.
Five-point mapping (YuNet): with E the eyes' midpoint, M the mouth corners' midpoint, D = M - E,
centre = E + (kx*Dx, ky*Dy), side = r*|eyes| + s*|D| (`ml.faces.box_mapping.PointsMapping`).
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ml.faces import create_detector, create_landmarker, load_image  # noqa: E402
from ml.faces.box_mapping import BoxMapping, PointsMapping, point_features  # noqa: E402
from ml.faces.evaluation import landmark_error, match, points_box, read_pts  # noqa: E402


def detections(detector, photos: list[Path]) -> list[tuple[np.ndarray, object | None]]:
    """(truth points, matched Detection or None) per photo."""
    found = []
    for path in photos:
        truth = read_pts(path.with_suffix(".pts"))
        dets = detector.detect(load_image(path))
        index = match([d.box for d in dets], points_box(truth))
        found.append((truth, None if index is None else dets[index]))
    return found


def dlib_box(box) -> np.ndarray:
    x, y, w, h = box
    return np.array([x + w / 2.0, y + h / 2.0, (w + h) / 2.0])


def fit_box_mapping(pairs) -> BoxMapping:
    """Least squares: dlib centre offset in units of the box's w and h, dlib side from w and h."""
    src = np.array([d.box for d, _ in pairs], np.float64)
    dst = np.array([dlib_box(t.box) for _, t in pairs])
    w, h = src[:, 2], src[:, 3]
    a = np.median((dst[:, 0] - (src[:, 0] + w / 2)) / w)
    b = np.median((dst[:, 1] - (src[:, 1] + h / 2)) / h)
    (c, d), *_ = np.linalg.lstsq(np.stack([w, h], 1), dst[:, 2], rcond=None)
    return BoxMapping(round(float(a), 4), round(float(b), 4), round(float(c), 4), round(float(d), 4))


def fit_points_mapping(pairs) -> PointsMapping:
    """Least squares on the five points' frame (see ml.faces.box_mapping.point_features)."""
    rows_x, rows_y, rows_s, tx, ty, ts = [], [], [], [], [], []
    for det, target in pairs:
        eyes_mid, mouth_dir, eye_dist, mouth_dist = point_features(det.points)
        cx, cy, side = dlib_box(target.box)
        rows_x.append([mouth_dir[0]])
        tx.append(cx - eyes_mid[0])
        rows_y.append([mouth_dir[1]])
        ty.append(cy - eyes_mid[1])
        rows_s.append([eye_dist, mouth_dist])
        ts.append(side)
    (k_x,), *_ = np.linalg.lstsq(np.array(rows_x), np.array(tx), rcond=None)
    (k_y,), *_ = np.linalg.lstsq(np.array(rows_y), np.array(ty), rcond=None)
    (r, s), *_ = np.linalg.lstsq(np.array(rows_s), np.array(ts), rcond=None)
    return PointsMapping(*(round(float(v), 4) for v in (k_x, k_y, r, s)))


def errors(landmarker, images, found, box_of) -> np.ndarray:
    return np.array([landmark_error(landmarker.predict(images[i], box_of(det)), truth) for i, (truth, det) in found])


def summary(name: str, errs: np.ndarray) -> str:
    share = np.mean(errs > 0.08)
    return f"{name:38s} n={len(errs):4d} mean {errs.mean():.4f} median {np.median(errs):.4f} >8% {share:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/tmp/datasets/helen_train_68"))
    parser.add_argument("--detectors", nargs="+", default=["yunet", "opencv"])
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    photos = sorted(args.data.glob("*.jpg"))[: args.limit]
    start = time.perf_counter()
    images = [load_image(p) for p in photos]
    reference = detections(create_detector("dlib"), photos)
    landmarker = create_landmarker("dlib")
    both_dlib = [(i, (t, d)) for i, (t, d) in enumerate(reference) if d is not None]
    print(f"{len(photos)} photos; dlib HOG finds {len(both_dlib)}")
    print(summary("dlib boxes (dlib finds)", errors(landmarker, images, both_dlib, lambda d: d.box)))
    for name in args.detectors:
        found = detections(create_detector(name), photos)
        pairs = [
            (d, ref) for (_, d), (_, ref) in zip(found, reference, strict=True) if d is not None and ref is not None
        ]
        mapping = fit_box_mapping(pairs)
        print(f"\n{name}: finds {sum(d is not None for _, d in found)}, both {len(pairs)}")
        print(f"  BoxMapping{mapping}")
        mine = [(i, (t, d)) for i, (t, d) in enumerate(found) if d is not None]
        shared = [(i, (t, d)) for i, (t, d) in mine if reference[i][1] is not None]
        for label, subset in (("all it finds", mine), ("faces dlib finds", shared)):
            print(summary(f"  raw boxes, {label}", errors(landmarker, images, subset, lambda d: d.box)))
            print(summary(f"  box mapping, {label}", errors(landmarker, images, subset, mapping.apply)))
        if all(d.points is not None for d, _ in pairs):
            points_mapping = fit_points_mapping(pairs)
            print(f"  PointsMapping{points_mapping}")
            for label, subset in (("all it finds", mine), ("faces dlib finds", shared)):
                errs = errors(landmarker, images, subset, points_mapping.apply)
                print(summary(f"  five-point mapping, {label}", errs))
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
