"""torchrun with two CPU processes (gloo): one checkpoint writer, same result on every rank."""

import json
import os
import subprocess
import sys

from ml.checkpoint import load_checkpoint
from ml.training.distributed import DistContext


def test_shards_split_a_global_batch_between_ranks():
    import torch

    batch = torch.arange(7)
    parts = [DistContext(rank=r, world_size=2).shard(batch).tolist() for r in range(2)]
    assert parts == [[0, 2, 4, 6], [1, 3, 5]]


def test_two_process_ddp_run_writes_one_set_of_checkpoints(tmp_path, fer2013_dir):
    out = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "ml", "train",
        "--arch", "simple_cnn", "--data", str(fer2013_dir), "--train-split", "train", "--val-split", "val",
        "--epochs", "2", "--batch-size", "8", "--max-steps-per-epoch", "2", "--num-threads", "1",
        "--device", "cpu", "--out-dir", str(out), "--json",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes (gloo)" in done.stderr
    # Both ranks print the summary; rank 0 alone wrote the files and both saw the same metrics.
    summaries = [json.loads(chunk) for chunk in _json_objects(done.stdout)]
    assert len(summaries) == 2 and summaries[0]["best_metrics"] == summaries[1]["best_metrics"]
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "history.json", "last.pt"]
    last = load_checkpoint(out / "last.pt")
    assert last.epoch == 2 and not any(k.startswith("module.") for k in last.state_dict)
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == [1, 2]


def _json_objects(text: str) -> list[str]:
    """Split the stdout of two processes each printing one indented JSON object."""
    objects, depth, start = [], 0, None
    for i, char in enumerate(text):
        if char == "{":
            depth, start = depth + 1, i if depth == 0 else start
        elif char == "}":
            depth -= 1
            if depth == 0:
                objects.append(text[start : i + 1])
    return objects
