"""Find faces in a photo and predict their emotion and valence/arousal.

    python -m ml predict photo.jpg                      # table
    python -m ml predict photo.jpg --json               # JSON (schema_version 1)
    python -m ml predict photo.jpg --detector dlib --landmarks fan --model runs/x/best.pt --saliency

Exit codes: 0 done (also when no face is found), 2 bad input or missing model file (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ml.faces.detection import DETECTORS
from ml.faces.landmarks import LANDMARKERS

EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="photo file (JPEG, PNG, WebP, ...)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--detector",
        choices=sorted(DETECTORS),
        default=None,
        help="face detector (default: $FER_FACE_DETECTOR or yunet)",
    )
    parser.add_argument(
        "--landmarks",
        choices=sorted(LANDMARKERS),
        default=None,
        help="landmark backend (default: $FER_LANDMARKS or dlib)",
    )
    parser.add_argument("--model", default=None, help="classifier checkpoint (default: $FER_MODEL or the bundled one)")
    parser.add_argument("--no-classify", action="store_true", help="faces and landmarks only; no model needed")
    parser.add_argument(
        "--saliency", nargs="?", const="gradcam++", choices=("gradcam", "gradcam++", "gradients"), default=None,
        help="also compute a saliency heatmap per face (default method: gradcam++)",
    )  # fmt: skip
    parser.add_argument(
        "--save-crops", metavar="DIR", default=None, help="write each aligned crop (and saliency) as PNG"
    )
    parser.add_argument("--max-faces", type=int, default=None, help="keep only the N most confident faces")


def run(args: argparse.Namespace) -> int:
    import torch

    from ml.faces.images import InvalidImageError
    from ml.faces.weights import MissingWeightsError
    from ml.pipeline import Pipeline
    from ml.settings import PipelineSettings

    torch.set_num_threads(min(torch.get_num_threads(), 4))
    try:
        pipeline = Pipeline.from_settings(
            getattr(args, "settings", None) or PipelineSettings(),
            detector=args.detector,
            landmarks=args.landmarks,
            classifier_checkpoint=args.model,
            classify=not args.no_classify,
            saliency=args.saliency,
            max_faces=args.max_faces,
        )
        result = pipeline.analyze(args.image)
    except (InvalidImageError, MissingWeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.save_crops:
        _save_crops(result.faces, Path(args.save_crops), Path(args.image).stem)
    if args.json:
        data = result.to_dict()
        image = {"path": str(args.image), **data.pop("image")}
        print(json.dumps({"schema_version": data.pop("schema_version"), "image": image, **pipeline.describe(), **data}))
    else:
        print(_table(args.image, pipeline, result))
    return 0


def _table(image: str, pipeline, result) -> str:
    info = pipeline.describe()
    model = info["model"]["version"] if info["model"] else "none"
    width, height = result.image_size
    count = len(result.faces)
    lines = [
        f"{image}: {width}x{height}, {count} face{'s' if count != 1 else ''} "
        f"(detector {info['detector']}, landmarks {info['landmarks']}, model {model})"
    ]
    if result.detection is not None:
        lines.append(_detection_line(result.detection))
    if result.faces:
        lines.append(
            f"{'#':>2}  {'box x,y,w,h':<19} {'score':>6}  {'emotion':<9} {'p':>5}  {'valence':>7} {'arousal':>7}  top 3"
        )
        for i, face in enumerate(result.faces, 1):
            box = ",".join(str(v) for v in face.box)
            if face.probs is None:
                lines.append(f"{i:>2}  {box:<19} {face.score:>6.2f}")
                continue
            top = sorted(face.probs.items(), key=lambda kv: kv[1], reverse=True)[:3]
            top_text = " ".join(f"{name} {p:.2f}" for name, p in top)
            lines.append(
                f"{i:>2}  {box:<19} {face.score:>6.2f}  {face.emotion:<9} {face.probs[face.emotion]:>5.2f}  "
                f"{face.valence:>+7.2f} {face.arousal:>+7.2f}  {top_text}"
            )
        if result.faces[0].va_source:
            lines.append(f"valence/arousal: {result.faces[0].va_source}")
    timings = ", ".join(f"{k} {v:.1f}" for k, v in result.timings_ms.items() if v > 0 and k != "total")
    lines.append(f"time: {result.timings_ms['total']:.1f} ms ({timings})")
    return "\n".join(lines)


def _detection_line(report) -> str:
    line = f"faces of {report.min_face_px} px and more searched"
    reasons: dict[str, int] = {}
    for skipped in report.skipped:
        reasons[skipped.reason] = reasons.get(skipped.reason, 0) + 1
    if reasons:
        line += "; skipped: " + ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(reasons.items()))
    return line


def _save_crops(faces, folder: Path, stem: str) -> None:
    import cv2

    from ml.saliency import overlay

    folder.mkdir(parents=True, exist_ok=True)
    for i, face in enumerate(faces, 1):
        crop = face.aligned_crop if face.aligned_crop.ndim == 2 else cv2.cvtColor(face.aligned_crop, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(folder / f"{stem}_face{i}.png"), crop)
        if face.saliency is not None:
            picture = cv2.cvtColor(overlay(face.aligned_crop, face.saliency), cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(folder / f"{stem}_face{i}_saliency.png"), picture)
