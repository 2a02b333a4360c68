"""Profiles behind the benchmark's figures: where the time of a report run goes.

    .venv/bin/python benchmarks/profiling.py imports            # import costs of the report parent process
    .venv/bin/python benchmarks/profiling.py timeline [--scale N]   # wall-clock timeline of `reports`, per notebook and cell
    .venv/bin/python benchmarks/profiling.py kernel NAME [--scale N]  # cProfile of one notebook's code, as its kernel runs it
    .venv/bin/python benchmarks/profiling.py parent [--scale N]     # cProfile of the parent process of `reports` (jobs=1)

``--scale N`` runs on synthetic data N times larger (written to a temporary folder). Output goes to
temporary folders only. py-spy, when installed, gives the same picture across processes:
``py-spy record --subprocesses -o prof.svg -- .venv/bin/haiti-mission reports --out "$(mktemp -d)"``.
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _data(scale: int) -> Path | None:
    if scale <= 1:
        return None
    folder = Path(tempfile.mkdtemp(prefix=f"hm-profile-{scale}x-"))
    made = synthetic.generate(ROOT / "data", folder, scale)
    print(f"synthetic {scale}x data in {folder}: {made.rows}", file=sys.stderr)
    os.environ["HAITI_MISSION_DATA"] = str(folder)
    return folder


def imports(_args) -> None:
    """Import time of what the report parent imports, and of nbformat with and without rfc3987_syntax."""
    code = "import haiti_mission.pipeline.build as r; r._preload()"
    err = subprocess.run([str(BIN / "python"), "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT).stderr
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m[2]) / 1e6, int(m[1]) / 1e6, len(m[3]) // 2, m[4]))
    total = sum(r[0] for r in rows if r[2] == 0)
    print(f"parent of `haiti-mission reports`: importing haiti_mission.pipeline.build + preload (nbconvert, papermill, exporter) = {total:.2f} s of imports")
    print("largest self times (s):")
    for cum, own, depth, name in sorted(rows, key=lambda r: -r[1])[:12]:
        print(f"  {own:6.3f} self  {cum:6.3f} cumulative  {name}")
    # jsonschema builds rfc3987_syntax's Lark (Earley) grammar at import time when that package is installed.
    for label, prelude in (("as installed", ""), ("rfc3987_syntax hidden", "import sys; sys.modules['rfc3987_syntax'] = None; ")):
        times = []
        for _ in range(5):
            out = subprocess.run([str(BIN / "python"), "-c", prelude + "import time; t = time.perf_counter(); import nbformat; print(time.perf_counter() - t)"],
                                 capture_output=True, text=True).stdout
            times.append(float(out))
        times.sort()
        print(f"import nbformat, {label}: median {times[2]:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f})")


def _wrap(module, name, log, label=None):
    original = getattr(module, name)

    @functools.wraps(original)
    def timed(*a, **k):
        start = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            what = label(a) if label else ""
            log(f"{module.__name__.split('.')[-1]}.{name}({what}) {time.perf_counter() - start:.2f} s")
    setattr(module, name, timed)


def timeline(args) -> None:
    """Wall-clock timeline of one `reports` run: phases in the parent, notebooks and cells in workers."""
    _data(args.scale)
    t0 = time.perf_counter()

    def log(msg):
        print(f"{time.perf_counter() - t0:7.2f} s  pid {os.getpid()}  {msg}", flush=True)

    import haiti_mission.datapackage.frames as loading
    import haiti_mission.pipeline.build as reports
    import haiti_mission.pipeline.execute as execute
    import haiti_mission.pipeline.pages as render
    import haiti_mission.pipeline.plan as planning
    log("imported haiti_mission.pipeline.build (pages imports nbformat)")
    original_clean = render.clean_notebook

    def clean(nb, parameters):
        cells = [c for c in nb.cells if c.cell_type == "code"]
        durations = [round(c.metadata.get("papermill", {}).get("duration") or 0, 2) for c in cells]
        log(f"  kernel cell durations (s): {durations}, sum {sum(durations):.2f}")
        return original_clean(nb, parameters)

    render.clean_notebook = clean
    _wrap(planning, "plan_reports", log)
    _wrap(reports, "_preload", log)
    _wrap(loading, "load", log, lambda a: a[0] if a else "")
    _wrap(execute, "run_notebook", log, lambda a: Path(a[0]).stem)
    _wrap(render, "to_html", log, lambda a: a[1][:30])
    _wrap(reports, "parallel_map", log)
    import haiti_mission.pipeline.kernels as kernels

    _wrap(kernels, "fork_kernel", log, lambda a: Path(a[0][-1]).parent.name)
    plans = planning.plan_reports()
    out = Path(tempfile.mkdtemp(prefix="hm-profile-out-")) / "reports"
    with kernels.warm_kernels(args.jobs or os.cpu_count()) as server:
        reports.run_reports(plans, out, jobs=args.jobs, progress=False, kernels=server)
    log("run_reports done")


def _profile(fn, top: int, sort: str = "cumulative") -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats(sort).print_stats(top)
    text = buf.getvalue()
    print(re.sub(r"/\S*/site-packages/", "", text.replace(str(ROOT) + "/src/", "")))


def kernel(args) -> None:
    """cProfile of one notebook's code cells (parameters at their defaults), run in this process.

    The kernel parses and validates the CSV files itself, as every kernel does.
    """
    _data(args.scale)
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    nb = json.loads((ROOT / "notebooks" / f"{args.notebook}.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
    os.chdir(ROOT / "notebooks")
    import contextlib

    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            for i, source in enumerate(cells):
                start = time.perf_counter()
                shell.run_cell(source, store_history=False, silent=True)
                print(f"cell {i}: {time.perf_counter() - start:.2f} s", file=sys.stderr)

    _profile(run, args.top, args.sort)


def parent(args) -> None:
    """cProfile of the parent process of `reports` with jobs=1 (kernels appear as waiting time)."""
    _data(args.scale)
    from haiti_mission.pipeline.build import run_reports
    from haiti_mission.pipeline.plan import plan_reports

    out = Path(tempfile.mkdtemp(prefix="hm-profile-out-")) / "reports"
    _profile(lambda: run_reports(plan_reports(), out, jobs=1, progress=False), args.top, args.sort)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("imports").set_defaults(func=imports)
    p = sub.add_parser("timeline")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.set_defaults(func=timeline)
    p = sub.add_parser("kernel")
    p.add_argument("notebook")
    p.set_defaults(func=kernel)
    p = sub.add_parser("parent")
    p.set_defaults(func=parent)
    for p in sub.choices.values():
        p.add_argument("--scale", type=int, default=1)
        p.add_argument("--top", type=int, default=30)
        p.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
