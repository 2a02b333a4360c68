"""The package's shape: the README's layout names every module, and every layer says what it may import."""
from __future__ import annotations

import ast
import re

from conftest import ROOT

PACKAGE = ROOT / "src" / "haiti_mission"


def readme_layout() -> dict[str, set[str]]:
    """{subpackage or "" for the top: module names} as the README's layout block lists them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    layout: dict[str, set[str]] = {"": set()}
    current = None
    for line in block.splitlines():
        if line.startswith("src/haiti_mission/"):
            current = ""
            continue
        if current is None:
            continue
        if not line.startswith("  "):
            current = None  # back at the top of the repository
            continue
        words = line.split()
        if line.startswith("      "):
            continue  # a description running on from the line above
        if line.startswith("    "):
            layout[current] |= set(words)
        elif words[0].endswith("/"):
            current = words[0].rstrip("/")
            layout.setdefault(current, set())
        else:
            layout[""] |= {w.removesuffix(".py") for w in re.findall(r"\b\w+\.py\b", line)}
    return layout


def tree_layout() -> dict[str, set[str]]:
    layout: dict[str, set[str]] = {"": set()}
    for path in PACKAGE.glob("*.py"):
        if path.stem not in ("__init__", "__main__"):
            layout[""].add(path.stem)
    for folder in PACKAGE.iterdir():
        if (folder / "__init__.py").is_file():
            layout[folder.name] = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    return layout


def test_readme_layout_matches_the_tree():
    assert readme_layout() == tree_layout()


def test_every_layer_says_what_it_may_import():
    for folder, _ in tree_layout().items():
        if not folder:
            continue
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, f"{folder}/__init__.py: the docstring must say what the layer may import"



def test_modules_stay_small_or_say_why():
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        head = path.read_text(encoding="utf-8")[:2000]
        assert lines <= 300 or "longer than 300 lines because" in head, f"{path.relative_to(ROOT)} has {lines} lines"


def test_what_a_killed_run_leaves_is_ignored_by_git(tmp_path):
    """The leftovers of killed runs (named as the code names them) never show in `git status`."""
    import subprocess

    from haiti_mission.pipeline.refresh import temporary_name
    from haiti_mission.pipeline.staging import WORK, _staging_name

    repo = tmp_path / "clone"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_bytes((ROOT / ".gitignore").read_bytes())
    (repo / "reports").mkdir()
    (repo / "reports" / "index.html").write_text("kept\n", encoding="utf-8")
    leftovers = [
        _staging_name(repo / "reports", "staging", 123) / WORK / "timeline" / "kernel.log",
        _staging_name(repo / "reports", "previous", 123) / "index.html",
        _staging_name(repo / "reports" / "archive", "staging", 77) / "2025-01-31" / "timeline.html",
        _staging_name(repo / "site", "staging", 9) / "index.html",
        temporary_name(repo / "notebooks" / "timeline.ipynb"),
        repo / "reports" / "archive" / "2025-01-31" / "timeline.html",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left by a killed run\n", encoding="utf-8")
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout.split("\n")
    assert sorted(filter(None, status)) == ["?? .gitignore", "?? reports/index.html"]
