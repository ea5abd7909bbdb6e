"""Build tests/fixtures/photos/helen_group.jpg: ten real faces, 30-60 px wide, on one 800x500 picture.

    .venv/bin/python scripts/make_group_photo.py /tmp/datasets/helen_train_68

A stand-in for a group photo with small faces, made from HELEN training photos (no camera or
internet here): the first ten photos by file name, each cut square around its 68 annotated
points (1.6x their box) and shrunk so the points' box is 30-60 px wide, pasted in two rows on a
grey gradient. Prints the points' box of every face, for tests/ml/faces/photos.py.
"""

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.faces.evaluation import points_box, read_pts  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "photos" / "helen_group.jpg"
WIDTHS = [30, 34, 38, 42, 46, 50, 54, 58, 60, 40]  # points' box width of each face, px
SIZE = (500, 800)


def main(folder: Path) -> None:
    height, width = SIZE
    ramp = np.linspace(150, 200, width, dtype=np.float32)[None, :, None]
    canvas = np.repeat(np.repeat(ramp, height, axis=0), 3, axis=2).astype(np.uint8)
    photos = sorted(folder.glob("*.jpg"))[: len(WIDTHS)]
    boxes = []
    for i, (path, face_width) in enumerate(zip(photos, WIDTHS, strict=True)):
        image = cv2.imread(str(path))
        points = read_pts(path.with_suffix(".pts"))
        x, y, w, h = points_box(points)
        side = 1.6 * max(w, h)
        cx, cy = x + w / 2, y + h / 2
        scale = face_width / w
        # The square around the face, resampled straight to its small size (borders replicate).
        matrix = np.array([[scale, 0, -(cx - side / 2) * scale], [0, scale, -(cy - side / 2) * scale]])
        out_side = round(side * scale)
        patch = cv2.warpAffine(
            image, matrix, (out_side, out_side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
        )
        row, col = divmod(i, 5)
        left, top = 40 + col * 150 + (i % 3) * 12, 90 + row * 200 + (i % 2) * 30
        canvas[top : top + out_side, left : left + out_side] = patch
        px = (points[:, 0] - (cx - side / 2)) * scale + left
        py = (points[:, 1] - (cy - side / 2)) * scale + top
        box = points_box(np.stack([px, py], 1))
        boxes.append(tuple(round(v) for v in box))
        print(f"{path.stem}: points' box {boxes[-1]}")
    cv2.imwrite(str(OUT), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)\n{boxes}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/datasets/helen_train_68"))
