"""`python -m ml <command> ...`: dispatch to the command modules in ml/cli/."""

import argparse
import importlib
import sys

# command name -> module in ml.cli exposing add_arguments(parser) and run(args) -> int
COMMANDS = {
    "train": "ml.cli.train",
    "evaluate": "ml.cli.evaluate",
    "predict": "ml.cli.predict",
    "plot-history": "ml.cli.plot_history",
    "quantize": "ml.cli.quantize",
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
    return modules[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
