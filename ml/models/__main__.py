"""Print the architecture registry as a Markdown table: python -m ml.models [--sizes 48 112] [--in-chans 1].

Parameters (with the 8-way emotion and V/A heads) and forward FLOPs per image at each size; a dash
where the size is below the architecture's minimum. docs/model-zoo.md holds this table.
"""

from __future__ import annotations

import argparse

import torch

from ml.models import count_flops, count_parameters, create_model, get_spec, list_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[48, 112])
    parser.add_argument("--in-chans", type=int, default=1)
    parser.add_argument("--arch", nargs="+", default=None, help="default: every registered architecture")
    args = parser.parse_args()
    torch.set_num_threads(2)
    header = ["architecture", "min px", "params (M)"] + [f"GFLOPs @{s}" for s in args.sizes] + ["description"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in args.arch or list_models():
        spec = get_spec(name)
        model = create_model(name, in_chans=args.in_chans, input_size=max(args.sizes[0], spec.min_input_size))
        flops = []
        for size in args.sizes:
            if size < spec.min_input_size:
                flops.append("—")
                continue
            sized = create_model(name, in_chans=args.in_chans, input_size=size)  # padding may depend on size
            flops.append(f"{count_flops(sized, size, args.in_chans) / 1e9:.2f}")
        row = [f"`{name}`", str(spec.min_input_size), f"{count_parameters(model) / 1e6:.2f}", *flops, spec.description]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
