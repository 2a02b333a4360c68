"""The output folder of a report run: one run at a time, never the current folder or an empty name,
never another folder's backup, and a swap no signal can split."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from haiti_mission.cli import main
from haiti_mission.errors import ReportError
from haiti_mission.pipeline import staging


@pytest.mark.slow
def test_a_second_run_into_the_same_folder_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "reports"
    held = staging.lock_output(out)  # as a run does from before its copy until after its swap
    try:
        status = main(["reports", "--only", "timeline", "--out", str(out), "--quiet"])
    finally:
        os.close(held)
    err = capsys.readouterr().err
    assert status == 1 and f"another run (process {os.getpid()}) is writing to {out}" in err
    assert not out.exists() and not list(tmp_path.glob(".reports.staging-*"))
    assert main(["reports", "--only", "timeline", "--out", str(out), "--quiet"]) == 0  # free again: the run goes ahead
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # and leaves no lock behind


def test_the_lock_ends_with_the_run_that_held_it(tmp_path):
    out = tmp_path / "reports"
    code = f"from pathlib import Path; from haiti_mission.pipeline import staging; staging.lock_output(Path({str(out)!r}))"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # took it, then died
    os.close(staging.lock_output(out))  # free again


@pytest.mark.parametrize("argv", [["reports", "--out", ""], ["archive", "--start", "2025-01-31", "--end", "2025-01-31", "--out", " "],
                                  ["docs", "--out", ""], ["export", "--out", ""]])
def test_an_empty_output_name_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2 and "--out: is empty" in capsys.readouterr().err


def test_the_current_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportError, match="it is the current folder"):
        staging.check_output_folder(tmp_path.resolve())


def test_a_folder_name_with_glob_characters_adopts_no_other_folders_backup(tmp_path):
    """``recover('a*')`` once matched ``.ab.previous-N`` and renamed another folder's backup into place."""
    backup = tmp_path / ".ab.previous-999999"  # a dead run's half-swapped backup of the folder ab
    backup.mkdir()
    (backup / "index.html").write_text("ab's reports", encoding="utf-8")
    other_staging = tmp_path / ".ab.staging-999998"
    other_staging.mkdir()
    staging.recover(tmp_path / "a*")
    assert backup.is_dir() and other_staging.is_dir() and not (tmp_path / "a*").exists()
    staging.recover(tmp_path / "ab")  # its own folder's recovery does take them
    assert (tmp_path / "ab" / "index.html").read_text(encoding="utf-8") == "ab's reports" and not other_staging.exists()


SPLIT_SWAP = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from haiti_mission.pipeline import staging

    base = Path(sys.argv[1])
    out, new = base / "reports", base / ".reports.staging-1"
    real = Path.rename
    def rename(self, target):
        done = real(self, target)
        if self == out:  # the first of the two renames: a Ctrl-C lands right between them
            os.kill(os.getpid(), signal.SIGINT)
        return done
    Path.rename = rename
    try:
        staging.swap_into_place(new, out)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
""")


def test_a_signal_between_the_two_renames_cannot_leave_the_folder_missing(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "index.html").write_text("old", encoding="utf-8")
    (tmp_path / ".reports.staging-1").mkdir()
    (tmp_path / ".reports.staging-1" / "index.html").write_text("new", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([sys.executable, "-c", SPLIT_SWAP, str(tmp_path)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "SIGINT came during the final swap" in done.stderr and "the new reports are in place" in done.stderr
    assert (tmp_path / "reports" / "index.html").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
