"""The ``explore`` command: browse the data in Datasette, read-only, on this machine only by default."""
from __future__ import annotations

import json
import signal
import sys
import tempfile
from pathlib import Path

from .common import DATA_DIR_HELP, FAILED, OK, USAGE

LOOPBACK = "127.0.0.1"


def _explore(args) -> int:
    from datasette.cli import serve
    from datasette.plugins import pm

    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..interop.datasette import DATABASE, links_plugin, metadata
    from ..interop.export import export_sqlite

    if not 0 < args.port < 65536:
        print(f"haiti-mission explore: --port {args.port} is not a port number (1-65535)", file=sys.stderr)
        return USAGE
    # SIGTERM and SIGHUP end the server like Ctrl-C, so the temporary database is removed either way
    # (uvicorn stops gracefully, then raises the signal again with the handlers found here).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="hm-explore-") as folder:
        db = Path(folder) / f"{DATABASE}.db"
        try:
            package = read_package(args.data_dir)
            export_sqlite(package, db)
        except DataError as exc:
            print(f"haiti-mission explore: {exc}", file=sys.stderr)
            return FAILED
        if pm.get_plugin("haiti-mission-links") is None:
            pm.register(links_plugin(package), name="haiti-mission-links")
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(package), ensure_ascii=False, indent=2), encoding="utf-8")
        where = f"http://{args.host}:{args.port}/{DATABASE}"
        print(f"haiti-mission explore: serving {where} (read-only); Ctrl-C stops it", flush=True)
        # -i: immutable, opened read-only and never written to.
        argv = ["-i", str(db), "--metadata", str(meta), "--host", args.host, "--port", str(args.port),
                "--setting", "default_page_size", "50", "--setting", "truncate_cells_html", "400"]
        try:
            serve.main(argv, prog_name="haiti-mission explore", standalone_mode=False)
        except KeyboardInterrupt:
            pass
    return OK


def register(sub) -> None:
    p = sub.add_parser("explore", help="browse the data in Datasette (read-only, on 127.0.0.1 unless --host says otherwise)")
    p.add_argument("--host", default=LOOPBACK, help=f"address to listen on (default {LOOPBACK}: this machine only; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_explore)
