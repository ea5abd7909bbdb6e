"""`python -m ml <command> ...`: dispatch to the command modules in ml/cli/.

The one place the CLI reads the environment: the FER_* pipeline settings (ml.settings) become
`args.settings`; a bad one ends the command with one line and exit status 2.
"""

import argparse
import importlib
import os
import sys

from ml.settings import PipelineSettings

EXIT_BAD_SETTING = 2

# command name -> module in ml.cli exposing add_arguments(parser) and run(args) -> int
COMMANDS = {
    "train": "ml.cli.train",
    "evaluate": "ml.cli.evaluate",
    "predict": "ml.cli.predict",
    "plot-history": "ml.cli.plot_history",
    "quantize": "ml.cli.quantize",
    "graft-va": "ml.cli.graft_va",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # command not built yet
        modules[name] = module
        module.add_arguments(sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0]))
    args = parser.parse_args(argv)
    try:
        args.settings = PipelineSettings.from_env(os.environ)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTING
    return modules[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
