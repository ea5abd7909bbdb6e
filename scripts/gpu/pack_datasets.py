"""Pack folders of small face images into a few compressed parts, and unpack them on another machine.

A lent GPU machine takes at most 64 MiB of files per call, and FER-2013 plus FER+ as PNG files are
about 140 MB. Most of that is the same faces twice (FER+ relabels FER-2013's images, and
`scripts/recover_fer2013_train.py` rebuilt FER-2013's train/ from FER+'s copies), and PNG files
compress 48x48 faces poorly. So: decode every image to its grayscale pixels, keep each distinct
picture once, compress the lot with xz, and cut it into parts small enough for one call each.
Unpacking writes every file back under its own name, pixel for pixel (as PNG, whatever the
extension: readers go by the content), so a run's data fingerprint is the same on both machines.
Non-image files (label.csv) travel as they are.

    python scripts/gpu/pack_datasets.py pack --out .gpu/faces /tmp/datasets/fer2013_sharp /tmp/datasets/ferplus
    python scripts/gpu/pack_datasets.py unpack --out /tmp/data .gpu/faces.part0 .gpu/faces.part1
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
XZ_FILTERS = [{"id": lzma.FILTER_DELTA, "dist": 1}, {"id": lzma.FILTER_LZMA2, "preset": 6}]  # neighbours alike


def pack(roots: list[Path], out: Path, part_mb: float) -> list[Path]:
    """Write out.part0, out.part1, ... holding every file under each root; returns the part paths."""
    entries, pixels, index_of = [], [], {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = f"{root.name}/{path.relative_to(root).as_posix()}"
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                entries.append({"name": name, "text": path.read_text()})
                continue
            image = np.asarray(Image.open(path).convert("L"))
            key = hashlib.sha1(image.tobytes() + str(image.shape).encode()).hexdigest()
            if key not in index_of:
                index_of[key] = len(pixels)
                pixels.append(image)
            entries.append({"name": name, "pixels": index_of[key]})
    shapes = {p.shape for p in pixels}
    if len(shapes) != 1:
        raise SystemExit(f"every image must have the same size to be packed; found {sorted(shapes)}")
    stack = np.stack(pixels)
    print(f"{len(entries)} files, {len(pixels)} distinct images {stack.shape[1:]}", file=sys.stderr)
    buffer = io.BytesIO()
    np.savez(buffer, pixels=stack, entries=np.frombuffer(json.dumps(entries).encode(), dtype=np.uint8))
    blob = lzma.compress(buffer.getvalue(), format=lzma.FORMAT_XZ, filters=XZ_FILTERS)
    size = int(part_mb * 2**20)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for number, start in enumerate(range(0, len(blob), size)):
        parts.append(out.with_name(f"{out.name}.part{number}"))
        parts[-1].write_bytes(blob[start : start + size])
    print(f"{len(blob) / 2**20:.1f} MiB in {len(parts)} parts", file=sys.stderr)
    return parts


def _write_png(job: tuple[str, np.ndarray]) -> None:
    path, image = job
    Image.fromarray(image).save(path, format="PNG")


def unpack(parts: list[Path], out: Path, workers: int = 8) -> int:
    """Write every packed file under `out`; returns how many."""
    blob = lzma.decompress(b"".join(p.read_bytes() for p in parts))
    with np.load(io.BytesIO(blob)) as packed:
        pixels, entries = packed["pixels"], json.loads(packed["entries"].tobytes())
    jobs = []
    for entry in entries:
        path = out / entry["name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if "text" in entry:
            path.write_text(entry["text"])
        else:
            jobs.append((str(path), pixels[entry["pixels"]]))
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write_png, jobs, chunksize=512))
    return len(entries)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack", help="folders -> compressed parts")
    packing.add_argument("--out", type=Path, required=True, help="parts are written as OUT.part0, OUT.part1, ...")
    packing.add_argument("--part-mb", type=float, default=30.0, help="largest part, MiB")
    packing.add_argument("roots", type=Path, nargs="+", help="dataset folders; each keeps its own name")
    unpacking = commands.add_parser("unpack", help="parts -> folders")
    unpacking.add_argument("--out", type=Path, required=True)
    unpacking.add_argument("--workers", type=int, default=8)
    unpacking.add_argument("parts", type=Path, nargs="+", help="every part, in order")
    args = parser.parse_args(argv)
    if args.command == "pack":
        pack(args.roots, args.out, args.part_mb)
    else:
        print(f"{unpack(args.parts, args.out, args.workers)} files written under {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
