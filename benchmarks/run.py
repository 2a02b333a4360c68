"""Benchmark: report regeneration and data loading, side by side with what users would run instead.

    .venv/bin/python benchmarks/run.py            # every figure, 1 warm-up + 5 runs each (default)
    .venv/bin/python benchmarks/run.py --quick    # a quick look: fewer runs, scales 1x and 10x
    .venv/bin/python benchmarks/run.py --only reports import

Each figure runs its commands as separate processes, alternating them within every repetition so
that both sides see the same machine load, and prints the median of the runs after the warm-ups,
with min and max, the CPU time of the whole process tree, and the peak RSS of the largest process
in the tree (kernels included; each process's own high-water mark, VmHWM, sampled by polling).
Everything a run writes goes to a temporary folder, never to the repository's reports/.
See benchmarks/README.md for what each figure means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
NOTEBOOK_DIR = ROOT / "notebooks"
BIN = Path(sys.executable).parent  # the project's venv when run as `make bench`
FIGURES = ("reports", "unchanged", "one-file", "warm", "archive", "import", "nbval", "scaling")
# Figure 7: 24 monthly report dates, every report notebook (144 reports).
ARCHIVE_DATES = [f"{y}-{m:02d}-{__import__('calendar').monthrange(y, m)[1]:02d}" for y in (2024, 2025) for m in range(1, 13)]
MB = 1024 * 1024


# ---------------------------------------------------------------- measuring one command

@dataclass
class Sample:
    """One run of one command."""

    wall: float  # seconds, start to exit
    cpu: float  # user + system seconds of the whole process tree
    peak_rss: int  # bytes: the largest VmHWM of any process of the tree
    peak_tree_rss: int  # bytes: the largest sum of the tree's RSS seen at one poll
    largest: str  # the process that had the largest RSS (short command line)
    returncode: int
    load: float  # 1-minute load average when the run ended
    error: str = ""


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return 0


def _short(proc: psutil.Process) -> str:
    try:
        args = proc.cmdline()
    except psutil.Error:
        return "?"
    text = " ".join(Path(a).name if i < 2 else a for i, a in enumerate(args[:4]))
    return text[:70]


class TreeWatcher(threading.Thread):
    """Polls a process tree: peak RSS of its largest process and of the whole tree."""

    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.stop = threading.Event()
        self.peak = 0
        self.peak_tree = 0
        self.largest = ""

    def poll(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        tree = 0
        for proc in procs:
            hwm = _status_kb(proc.pid, "VmHWM:")
            tree += _status_kb(proc.pid, "VmRSS:")
            if hwm > self.peak:
                self.peak, self.largest = hwm, _short(proc)
        self.peak_tree = max(self.peak_tree, tree)

    def run(self) -> None:
        while not self.stop.is_set():
            self.poll()
            self.stop.wait(self.interval)


def measure(cmd: list[str], *, env: dict, cwd: Path, log: Path, interval: float = 0.05, timeout: float = 3600) -> Sample:
    """Run ``cmd`` once and return its Sample; its output goes to ``log``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        watcher = TreeWatcher(proc.pid, interval)
        watcher.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        wall = time.perf_counter() - start
        watcher.stop.set()
        watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    error = ""
    if code != 0:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        error = " | ".join(lines[-3:])[-400:]
    return Sample(wall, cpu, watcher.peak, watcher.peak_tree, watcher.largest, code, os.getloadavg()[0], error)


# ---------------------------------------------------------------- statistics and comparisons

@dataclass
class Stat:
    label: str
    samples: list[Sample] = field(default_factory=list)

    def _values(self, attr: str) -> list[float]:
        return [getattr(s, attr) for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self._values("wall"))

    @property
    def min(self) -> float:
        return min(self._values("wall"))

    @property
    def max(self) -> float:
        return max(self._values("wall"))

    @property
    def cpu(self) -> float:
        return statistics.median(self._values("cpu"))

    @property
    def rss(self) -> int:
        return max(self._values("peak_rss"))

    @property
    def largest(self) -> str:
        return max(self.samples, key=lambda s: s.peak_rss).largest

    @property
    def failures(self) -> int:
        return sum(1 for s in self.samples if s.returncode != 0)

    def summary(self) -> dict:
        return {
            "label": self.label, "median_s": self.median, "min_s": self.min, "max_s": self.max, "cpu_s": self.cpu,
            "peak_rss_mb": self.rss / MB, "largest_process": self.largest, "failures": self.failures,
            "runs": [asdict(s) for s in self.samples],
        }


@dataclass
class Job:
    """One side of a comparison: a label and a function giving a fresh (command, env, cwd) per run."""

    label: str
    make: object  # callable(run_dir: Path) -> (cmd, env, cwd)


def side_by_side(title: str, jobs: list[Job], runs: int, warmup: int, work: Path, say) -> dict[str, Stat]:
    """Run every job ``warmup + runs`` times, alternating their order; keep the last ``runs``."""
    stats = {j.label: Stat(j.label) for j in jobs}
    total = warmup + runs
    for i in range(total):
        order = jobs[i % len(jobs):] + jobs[:i % len(jobs)]  # rotate, so no side always runs first
        for job in order:
            run_dir = Path(tempfile.mkdtemp(prefix=f"run{i}-", dir=work))
            cmd, env, cwd = job.make(run_dir)
            sample = measure(cmd, env=env, cwd=cwd, log=run_dir.parent / f"{run_dir.name}.log")
            kind = "warm-up" if i < warmup else f"run {i - warmup + 1}/{runs}"
            flag = f"  FAILED rc={sample.returncode}: {sample.error}" if sample.returncode else ""
            say(f"  [{title}] {job.label:<34} {kind:<9} {sample.wall:7.2f} s  cpu {sample.cpu:6.2f} s  "
                f"rss {sample.peak_rss / MB:6.0f} MB  load {sample.load:4.1f}{flag}")
            if i >= warmup:
                stats[job.label].samples.append(sample)
            if not getattr(job, "keep", False):
                shutil.rmtree(run_dir, ignore_errors=True)
    return stats


# ---------------------------------------------------------------- the environment of every command

def base_env(data_dir: Path | None = None) -> dict:
    env = dict(os.environ)
    env.pop("HAITI_MISSION_DATA", None)
    env.pop("HAITI_MISSION_NOTEBOOKS", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(BIN.parent)
    if data_dir is not None:
        env["HAITI_MISSION_DATA"] = str(data_dir)
    return env


def notebook_names() -> list[str]:
    """The report notebooks (not the start-here guide, which `reports` does not publish either)."""
    from haiti_mission.notebook.parameters import available_notebooks

    return available_notebooks()


def reports_job(label: str, data_dir: Path | None = None, jobs: int | None = None, out: Path | None = None,
                env: dict | None = None, before=None) -> Job:
    """`haiti-mission reports` into a fresh folder (a cold run: nothing to reuse), or into ``out``;
    ``before(run_dir)`` runs untimed first (to change an input)."""
    def make(run_dir: Path):
        if before is not None:
            before(run_dir)
        cmd = [str(BIN / "haiti-mission"), "reports", "--out", str(out or run_dir / "reports"), "--quiet"]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        return cmd, {**base_env(data_dir), **(env or {})}, ROOT
    return Job(label, make)


def by_hand_job() -> Job:
    """What a user would run instead: papermill, then nbconvert, for each notebook, one after another."""
    def make(run_dir: Path):
        lines = ["set -e"]
        for name in notebook_names():
            nb = NOTEBOOK_DIR / f"{name}.ipynb"
            out = run_dir / f"{name}.ipynb"
            lines.append(f"papermill '{nb}' '{out}'")
            lines.append(f"jupyter nbconvert --to html --no-input '{out}'")
        script = run_dir / "by-hand.sh"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return ["bash", str(script)], base_env(), ROOT
    return Job("by hand: papermill + nbconvert CLI", make)


def python_job(label: str, code: str, cwd: Path = ROOT) -> Job:
    def make(run_dir: Path):
        return [str(BIN / "python"), "-c", code.replace("@OUT@", str(run_dir))], base_env(), cwd
    return Job(label, make)


IMPORT_AND_LOAD = "import haiti_mission as hm\nfor name in hm.datasets():\n    hm.load(name)\n"
IMPORT_PANDAS = "import pandas\n"
PAPERMILL_ONCE = (
    "import papermill, pathlib\n"
    f"nbs = sorted(pathlib.Path({str(NOTEBOOK_DIR)!r}).glob('*.ipynb'))\n"
    "for nb in nbs:\n"
    "    papermill.execute_notebook(str(nb), '@OUT@/' + nb.name, kernel_name='python3', progress_bar=False, cwd=str(nb.parent))\n"
)


def nbval_job() -> Job:
    def make(run_dir: Path):
        # pyproject's addopts add --nbval --nbval-current-env; --nbval is repeated to be explicit.
        cmd = [str(BIN / "python"), "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider", str(NOTEBOOK_DIR)]
        return cmd, base_env(), ROOT
    return Job("pytest --nbval notebooks/", make)


# ---------------------------------------------------------------- the figures

@dataclass
class Result:
    figure: str
    rows: list[dict]
    verdicts: list[dict]
    notes: list[str] = field(default_factory=list)


def _row(stat: Stat, ratio_to: Stat | None = None) -> dict:
    out = stat.summary()
    out["ratio"] = stat.median / ratio_to.median if ratio_to is not None else None
    out["cpu_ratio"] = stat.cpu / ratio_to.cpu if ratio_to is not None and ratio_to.cpu else None
    return out


def fig_reports(args, work: Path, say) -> Result:
    say("1. full regeneration: `haiti-mission reports` against papermill + nbconvert by hand")
    ours, hand = reports_job("haiti-mission reports (jobs=nproc)"), by_hand_job()
    stats = side_by_side("reports", [ours, hand], args.runs, args.warmup, work, say)
    a, b = stats[ours.label], stats[hand.label]
    ratio = a.median / b.median
    return Result("1. report regeneration", [_row(a, b), _row(b)], [
        {"target": "reports (cold) / by hand <= 0.30 on 2 cores", "value": f"{ratio:.2f}", "met": ratio <= 0.30 and not a.failures},
        {"target": "peak RSS of largest process <= 300 MB (reports, 1x)", "value": f"{a.rss / MB:.0f} MB", "met": a.rss <= 300 * MB},
    ])


def _built(work: Path, name: str, data_dir: Path | None = None) -> Path:
    """A reports folder built once, untimed, for the figures that re-run on it."""
    out = work / name
    subprocess.run([str(BIN / "haiti-mission"), "reports", "--out", str(out), "--quiet"], env=base_env(data_dir), cwd=ROOT,
                   check=True, capture_output=True)
    return out


def fig_unchanged(args, work: Path, say) -> Result:
    say("5. a re-run with nothing changed against a cold run")
    out = _built(work, "built-unchanged")
    again, cold = reports_job("reports, nothing changed", out=out), reports_job("reports, cold (empty output folder)")
    stats = side_by_side("unchanged", [again, cold], args.runs, args.warmup, work, say)
    a, b = stats[again.label], stats[cold.label]
    ratio = a.median / b.median
    return Result("5. nothing changed", [_row(a, b), _row(b)], [
        {"target": "re-run with nothing changed / cold run <= 0.05", "value": f"{ratio:.3f}", "met": ratio <= 0.05 and not a.failures},
    ])


def _flip_note(data: Path, name: str, counter=[0]) -> None:  # noqa: B006 - a run counter
    """Change one cell of ``name`` (the first row's note) and record the new hash: a deliberate edit."""
    import csv
    import io

    path = data / name
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    counter[0] += 1
    rows[1][rows[0].index("note")] = rows[1][rows[0].index("note")].split(" [bench")[0] + f" [bench {counter[0]}]"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    subprocess.run([str(BIN / "haiti-mission"), "hashes", "--update", "--data-dir", str(data)], check=True, capture_output=True)


def fig_one_file(args, work: Path, say) -> Result:
    say("6. one data file changed (pledges.csv): only the notebooks that read it re-run")
    data = work / "data-one-file"
    shutil.copytree(DATA, data)
    out = _built(work, "built-one-file", data)
    # The notebooks that read pledges.csv, as the first build recorded them (the loader's record).
    before = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    readers = sorted(n for n, e in before["reports"].items() if "pledges.csv" in e["inputs"]["data"])
    changed = reports_job("reports, pledges.csv changed", data, out=out, before=lambda _: _flip_note(data, "pledges.csv"))
    cold = reports_job("reports, cold", data)
    stats = side_by_side("one-file", [changed, cold], args.runs, args.warmup, work, say)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    runs = {n: e["build"]["run"] for n, e in manifest["reports"].items()}
    executed = sorted(n for n, r in runs.items() if r == "executed")
    a, b = stats[changed.label], stats[cold.label]
    return Result("6. one data file changed", [_row(a, b), _row(b)], [
        {"target": "one data file changed: only the notebooks that read it re-run",
         "value": f"executed {', '.join(executed)}; " + ", ".join(f"{n} {r}" for n, r in sorted(runs.items()) if r != "executed"),
         "met": executed == readers and len(readers) < len(runs)},
    ])


def fig_warm(args, work: Path, say) -> Result:
    say("8. warm kernels against ordinary kernels (cold runs of `reports`)")
    warm = reports_job("reports, warm kernels")
    ordinary = reports_job("reports, ordinary kernels", env={"HAITI_MISSION_WARM_KERNELS": "0"})
    stats = side_by_side("warm", [warm, ordinary], args.runs, args.warmup, work, say)
    a, b = stats[warm.label], stats[ordinary.label]
    return Result("8. warm kernels", [_row(a, b), _row(b)], [
        {"target": "warm / ordinary kernels (info)", "value": f"{a.median / b.median:.2f} ({b.median - a.median:+.2f} s saved)", "met": None},
    ])


def fig_archive(args, work: Path, say) -> Result:
    dates = ARCHIVE_DATES[-args.archive_dates:]
    jobs = os.cpu_count() or 1
    say(f"7. archive of {len(dates)} monthly dates, every notebook, against a process pool of papermill + HTML export (jobs = {jobs})")

    def ours_make(run_dir: Path):
        cmd = [str(BIN / "haiti-mission"), "archive", "--start", dates[0][:8] + "01", "--end", dates[-1], "--out", str(run_dir / "archive"),
               "--jobs", str(jobs), "--quiet"]
        return cmd, base_env(), ROOT

    def pool_make(run_dir: Path):
        return [str(BIN / "python"), str(ROOT / "benchmarks" / "pool_archive.py"), str(run_dir / "archive"), ",".join(dates), str(jobs)], base_env(), ROOT

    ours, pool = Job("haiti-mission archive", ours_make), Job("process pool: papermill + HTML per report", pool_make)
    stats = side_by_side("archive", [ours, pool], args.archive_runs, 0, work, say)
    a, b = stats[ours.label], stats[pool.label]
    ratio = a.median / b.median
    return Result("7. archive", [_row(a, b), _row(b)], [
        {"target": f"archive of {len(dates)} dates / process pool (same jobs) <= 0.5", "value": f"{ratio:.2f}", "met": ratio <= 0.5 and not a.failures},
    ], [f"archive: {len(dates)} dates ({dates[0]} to {dates[-1]}) x {len(notebook_names())} notebooks, {args.archive_runs} runs each, no warm-up"])


def fig_import(args, work: Path, say) -> Result:
    say("2. `import haiti_mission` and loading every dataset against `import pandas` alone")
    ours = python_job("import haiti_mission + load all", IMPORT_AND_LOAD)
    base = python_job("import pandas", IMPORT_PANDAS)
    stats = side_by_side("import", [ours, base], args.import_runs, args.warmup, work, say)
    a, b = stats[ours.label], stats[base.label]
    ratio = a.median / b.median
    overhead_ms = (a.median - b.median) * 1000
    return Result("2. import and load", [_row(a, b), _row(b)], [
        {"target": "import+load / import pandas <= 1.3", "value": f"{ratio:.2f} (overhead {overhead_ms:+.0f} ms)", "met": ratio <= 1.3 and not a.failures},
    ], [f"overhead of importing haiti_mission and loading every dataset over importing pandas: {overhead_ms:+.0f} ms (median against median)"])


def fig_nbval(args, work: Path, say) -> Result:
    say("3. pytest --nbval on every notebook against executing each once with papermill")
    ours = nbval_job()
    base = python_job("papermill API, each notebook once", PAPERMILL_ONCE)
    stats = side_by_side("nbval", [ours, base], args.runs, args.warmup, work, say)
    a, b = stats[ours.label], stats[base.label]
    ratio = a.median / b.median
    return Result("3. nbval against execution", [_row(a, b), _row(b)], [
        {"target": "pytest --nbval / papermill once <= 1.3", "value": f"{ratio:.2f}", "met": ratio <= 1.3 and not a.failures},
    ])


def _report_shape(folder: Path) -> dict:
    """Size of each report and the rows of its tables: what grows with the data."""
    shape = {}
    for html in sorted(folder.glob("*.html")):
        if html.name == "index.html":
            continue
        text = html.read_text(encoding="utf-8", errors="replace")
        tables = re.findall(r"<table.*?</table>", text, flags=re.S)
        rows = [len(re.findall(r"<tr", t)) - 1 for t in tables]
        nb = html.with_suffix(".ipynb")
        figs = sorted((folder / "figures" / html.stem).glob("*.png"))
        shape[html.stem] = {
            "html_kb": html.stat().st_size / 1024, "ipynb_kb": nb.stat().st_size / 1024 if nb.exists() else None,
            "table_rows": rows, "png_px": [_png_size(p) for p in figs],
        }
    return shape


def _png_size(path: Path) -> str:
    head = path.read_bytes()[16:24]
    return f"{int.from_bytes(head[:4], 'big')}x{int.from_bytes(head[4:], 'big')}"


def fig_scaling(args, work: Path, say) -> Result:
    say(f"4. scaling: the same reports on synthetic data {', '.join(f'{s}x' for s in args.scales)}")
    made: dict[int, synthetic.Synthetic] = {}
    notes = []
    for scale in args.scales:
        folder = work / f"data-{scale}x"
        made[scale] = synthetic.generate(DATA, folder, scale)
        start = time.perf_counter()
        check = subprocess.run([str(BIN / "haiti-mission"), "validate", "--data-dir", str(folder)], env=base_env(),
                               cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - start
        m = made[scale]
        line = (f"{scale}x data: " + ", ".join(f"{k} {v:,}" for k, v in m.rows.items()) + f" rows, {m.megabytes:.1f} MB; "
                f"`haiti-mission validate` {'passed' if check.returncode == 0 else 'FAILED'} in {took:.1f} s")
        say("  " + line)
        notes.append(line)
        for table, why in m.capped.items():
            say(f"  {scale}x {table}: {why}")
            notes.append(f"{scale}x {table}: {why}")
        if check.returncode != 0:
            raise SystemExit(f"synthetic {scale}x data is not valid:\n{check.stdout[-2000:]}{check.stderr[-2000:]}")
    jobs = []
    for scale in args.scales:
        job = reports_job(f"reports on {scale}x data", made[scale].folder)
        job.keep = False
        jobs.append(job)
    stats = side_by_side("scaling", jobs, args.runs, args.warmup, work, say)
    base = stats[jobs[0].label]
    rows = [_row(stats[j.label], base) for j in jobs]
    verdicts = []
    for scale, job in zip(args.scales, jobs):
        s = stats[job.label]
        notes.append(f"{scale}x: largest process {s.largest!r}, {s.rss / MB:.0f} MB; CPU time of the tree {s.cpu:.1f} s")
        if scale == 1:
            verdicts.append({"target": "peak RSS of largest process <= 300 MB at 1x", "value": f"{s.rss / MB:.0f} MB", "met": s.rss <= 300 * MB})
        else:
            growth = s.median / base.median
            verdict = {"target": f"report time growth at {scale}x <= 1.3x, peak RSS <= 300 MB" if scale == 100 else f"report time growth at {scale}x (info)",
                       "value": f"{growth:.2f}x, peak RSS {s.rss / MB:.0f} MB",
                       "met": (growth <= 1.3 and s.rss <= 300 * MB and not s.failures) if scale == 100 else None}
            verdicts.append(verdict)
    # One more run per scale, kept, to measure what the reports themselves look like.
    shapes = {}
    for scale in args.scales:
        out = work / f"shape-{scale}x"
        subprocess.run([str(BIN / "haiti-mission"), "reports", "--out", str(out), "--quiet"], env=base_env(made[scale].folder),
                       cwd=ROOT, capture_output=True)
        shapes[scale] = _report_shape(out)
        shutil.rmtree(out, ignore_errors=True)
    result = Result("4. scaling", rows, verdicts, notes)
    result.shapes = shapes  # type: ignore[attr-defined]
    return result


# ---------------------------------------------------------------- output

def machine() -> dict:
    mem = psutil.virtual_memory().total
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
        "memory_gib": round(mem / 1024 ** 3, 1), "cpu": cpu, "python": platform.python_version(),
        "os": platform.platform(terse=True), "load_at_start": round(os.getloadavg()[0], 1),
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""), "code": _git_state(),
    }


def _git_state() -> str:
    """The commit measured, and how many files differ from it (read-only git commands)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True).stdout
    except OSError:
        return "unknown"
    changed = len(dirty.splitlines())
    return f"commit {head}" + (f" + {changed} modified files" if changed else "")


def table(results: list[Result], runs_note: str) -> str:
    lines = [
        "| figure | command | median s | min s | max s | CPU s | peak RSS MB (largest process) | ratio | CPU ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for row in r.rows:
            fail = f" ({row['failures']} failed)" if row["failures"] else ""
            ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else ""
            cpu_ratio = f"{row['cpu_ratio']:.2f}" if row["cpu_ratio"] is not None else ""
            lines.append(f"| {r.figure} | {row['label']}{fail} | {row['median_s']:.2f} | {row['min_s']:.2f} | {row['max_s']:.2f} | "
                         f"{row['cpu_s']:.1f} | {row['peak_rss_mb']:.0f} | {ratio} | {cpu_ratio} |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for r in results:
        for v in r.verdicts:
            met = {True: "yes", False: "**no**", None: "–"}[v["met"]]
            lines.append(f"| {v['target']} | {v['value']} | {met} |")
    notes = [n for r in results for n in r.notes]
    if notes:
        lines.append("")
        lines.extend(f"- {n}" for n in notes)
    for r in results:
        shapes = getattr(r, "shapes", None)
        if shapes:
            lines += ["", "| report | " + " | ".join(f"{s}x: HTML KB / notebook KB / rows per table / PNG px" for s in shapes) + " |",
                      "|---|" + "---|" * len(shapes)]
            names = sorted({n for s in shapes.values() for n in s})
            for name in names:
                cells = []
                for s in shapes.values():
                    d = s.get(name)
                    cells.append("failed" if d is None else
                                 f"{d['html_kb']:,.0f} / {d['ipynb_kb'] or 0:,.0f} / {','.join(map(str, d['table_rows']))} / {' '.join(d['png_px'])}")
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(runs_note)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=FIGURES, default=list(FIGURES), help="figures to run (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per command (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up runs per command, not counted (default 1)")
    parser.add_argument("--import-runs", type=int, default=21, help="measured runs for figure 2, which is short and noisy (default 21)")
    parser.add_argument("--scales", type=lambda t: [int(x) for x in t.split(",")], default=[1, 10, 100], help="data scales for figure 4 (default 1,10,100)")
    parser.add_argument("--archive-runs", type=int, default=3, help="runs of figure 7, each side (default 3: it is long)")
    parser.add_argument("--archive-dates", type=int, default=24, help="monthly dates in figure 7 (default 24)")
    parser.add_argument("--quick", action="store_true", help="a quick look: 2 runs, no warm-up, 5 import runs, scales 1,10, archive of 6 dates once")
    parser.add_argument("--json", type=Path, help="also write every sample to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (synthetic data, logs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.warmup, args.import_runs, args.archive_runs, args.archive_dates = 2, 0, 5, 1, 6
        if args.scales == [1, 10, 100]:
            args.scales = [1, 10]
    if 1 not in args.scales:
        args.scales = [1, *args.scales]
    if args.runs < 5 or args.warmup < 1:
        print("note: fewer than 5 runs after a warm-up: figures are indicative only", file=sys.stderr)

    def say(text: str) -> None:
        print(text, flush=True)

    info = machine()
    say(f"haiti-mission benchmark, {info['date']}: {info['cores']} cores, {info['memory_gib']} GiB, {info['cpu']}, "
        f"Python {info['python']}, load {info['load_at_start']}")
    work = Path(tempfile.mkdtemp(prefix="hm-bench-"))
    say(f"temporary folder: {work}; code measured: {info['code']}")
    results: list[Result] = []
    try:
        for name, fn in (("reports", fig_reports), ("unchanged", fig_unchanged), ("one-file", fig_one_file), ("warm", fig_warm),
                         ("archive", fig_archive), ("import", fig_import), ("nbval", fig_nbval), ("scaling", fig_scaling)):
            if name in args.only:
                try:
                    results.append(fn(args, work, say))
                except (Exception, SystemExit) as exc:  # one broken figure must not lose the others
                    say(f"  figure {name} FAILED: {exc}")
                    results.append(Result(name, [], [{"target": f"figure {name}", "value": f"could not run: {str(exc)[:300]}", "met": False}]))
                if args.json:
                    _write_json(args, info, results)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    info["load_at_end"] = round(os.getloadavg()[0], 1)
    runs_note = (f"Median of {args.runs} runs after {args.warmup} warm-up (figure 2: {args.import_runs} runs), sides alternated "
                 f"in each repetition. {info['date']}; {info['cores']} cores, {info['memory_gib']} GiB; {info['cpu']}; "
                 f"Python {info['python']}; {info['code']}; load average {info['load_at_start']} at start, {info['load_at_end']} at end.")
    text = table(results, runs_note)
    say("")
    say(text)
    if args.json:
        _write_json(args, info, results)
    return 0


def _write_json(args, info: dict, results: list[Result]) -> None:
    args.json.write_text(json.dumps({"machine": info, "args": {k: v for k, v in vars(args).items() if k != "json"},
                                     "results": [{"figure": r.figure, "rows": r.rows, "verdicts": r.verdicts, "notes": r.notes,
                                                  "shapes": {str(k): v for k, v in getattr(r, "shapes", {}).items()}}
                                                 for r in results]}, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
