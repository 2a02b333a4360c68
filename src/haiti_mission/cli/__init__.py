"""The ``haiti-mission`` command line: one module per command, named like the command.

Each command module has ``register(subparsers)``, which adds the command and its options, and a
function that parses nothing further: it calls the library and turns its errors into one message
and an exit status (see ``common``). Logic lives in the library, where unit tests reach it.

May import every other layer; nothing imports it.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ["validate", "summary", "hashes", "reports", "archive", "notebooks", "export", "dictionary", "sources", "disagreements", "explore", "docs"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="haiti-mission",
        description="Curated data and reports on the Multinational Security Support mission to Haiti.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .common import INTERRUPTED

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # commands that write outputs say what they kept; the others stop here
        print(f"haiti-mission {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
