"""The archive as a user would build it without haiti-mission: a plain process pool of
``papermill.execute_notebook`` plus an HTML export (nbconvert, no input) per notebook and date.

    python benchmarks/pool_archive.py OUT_DIR DATE,DATE,... JOBS

Each report notebook (not the start-here guide) gets ``as_of`` set to the date, or ``end`` when it
has no ``as_of`` (the timeline), or ``until`` when it has neither (the changes report), as
``haiti-mission archive`` does. Every task starts its own kernel, as papermill does.
"""
from __future__ import annotations

import json
import sys
from multiprocessing import get_context
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _declared(nb: Path) -> set[str]:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", []))
    return {line.split(":")[0].strip() for line in source.splitlines() if ":" in line}


def one(job: tuple[Path, str, Path]) -> None:
    import papermill
    from nbconvert import HTMLExporter

    nb, day, out_dir = job
    from haiti_mission.pipeline.plan import DATE_PARAMETERS

    name = next(p for p in DATE_PARAMETERS if p in _declared(nb))
    out = out_dir / day / nb.name
    out.parent.mkdir(parents=True, exist_ok=True)
    executed = papermill.execute_notebook(str(nb), str(out), parameters={name: day}, kernel_name="python3",
                                          progress_bar=False, cwd=str(nb.parent))
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(executed)
    out.with_suffix(".html").write_text(body, encoding="utf-8")


def main(argv: list[str]) -> int:
    out_dir, dates, jobs = Path(argv[0]), argv[1].split(","), int(argv[2])
    from haiti_mission.notebook.parameters import available_notebooks

    tasks = [(NOTEBOOKS / f"{name}.ipynb", day, out_dir) for day in dates for name in available_notebooks()]
    with get_context("fork").Pool(jobs) as pool:
        pool.map(one, tasks, chunksize=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
