"""The ``haiti-mission`` command line: builds the parser from the modules in ``commands``."""
from __future__ import annotations

import argparse
import importlib
import sys

# One module per concern; each adds its own sub-commands.
COMMAND_MODULES = ["data", "integrity", "reports", "notebooks", "interop", "compare"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="haiti-mission",
        description="Curated data and reports on the Multinational Security Support mission to Haiti.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in COMMAND_MODULES:
        importlib.import_module(f"haiti_mission.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
