"""Every command exits with the statuses cli/common.py documents: 2 for wrong usage, 1 when the data
(or a check, or a run) fails. Each command has a usage case and a data case here; a command added
without them fails the first test."""
from __future__ import annotations

import signal

import pytest

from haiti_mission.cli import COMMANDS, main
from haiti_mission.cli.common import FAILED, USAGE

# A usage error per command: a bad option or a value that makes no sense. No kernel ever starts.
USAGE_CASES = {
    "validate": ["validate", "--strict"],
    "summary": ["summary", "--dataset", "pledges"],
    "hashes": ["hashes", "--check", "--update"],
    "reports": ["reports", "--only", "weather"],
    "notebooks": ["notebooks", "--only", "weather"],
    "export": ["export", "--format", "xlsx", "--out", "x"],
    "dictionary": ["dictionary", "--format", "html"],
    "sources": ["sources", "--check", "urls"],
    "disagreements": ["disagreements", "--dataset", "weather"],
    "archive": ["archive", "--start", "2024-01-31", "--end", "2024-03-31", "--every", "year"],
    "explore": ["explore", "--port", "eighty"],
    "docs": ["docs", "--format", "pdf"],
}
MORE_USAGE = [
    ["reports", "--jobs", "0"],
    ["reports", "--as-of", "2024-13-01", "--only", "timeline"],
    ["notebooks", "--jobs", "-1"],
    ["disagreements", "--window", "-1"],
    ["archive", "--start", "2024-03-31", "--end", "2024-01-31"],
    ["archive", "--start", "2024-02-30", "--end", "2024-03-31"],
    ["archive", "--start", "2024-01-31", "--end", "2024-03-31", "--only", "weather"],
    ["archive", "--start", "2024-01-31", "--end", "2999-03-31", "--only", "timeline"],
    ["archive", "--start", "2024-01-31", "--end", "2024-03-31", "--jobs", "0"],
]
# Commands that read the tables meet a broken cell; the dictionary reads only the descriptor.
DATA_CASES = {
    "validate": ["validate", "--fast"],
    "summary": ["summary"],
    "hashes": ["hashes"],
    "reports": ["reports", "--only", "timeline", "--quiet"],
    "notebooks": ["notebooks", "--only", "timeline", "--quiet"],
    "export": ["export", "--out", "@TMP@/hxl"],
    "dictionary": ["dictionary", "--check"],
    "sources": ["sources"],
    "disagreements": ["disagreements"],
    "archive": ["archive", "--start", "2024-01-31", "--end", "2024-02-29", "--only", "timeline", "--quiet", "--out", "@TMP@/archive"],
    "explore": ["explore", "--port", "18765"],  # refused while building the database: no server starts
    "docs": ["docs", "--out", "@TMP@/reference"],
}


def run(argv: list[str], tmp_path) -> int:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return main([a.replace("@TMP@", str(tmp_path)) for a in argv])
    except SystemExit as exc:  # argparse's own refusals
        return exc.code
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_every_command_has_a_usage_case_and_a_data_case():
    assert set(USAGE_CASES) == set(COMMANDS) == set(DATA_CASES)


@pytest.mark.parametrize("argv", list(USAGE_CASES.values()) + MORE_USAGE, ids=lambda a: " ".join(a))
def test_usage_errors_exit_2(argv, tmp_path, capsys):
    assert run(argv, tmp_path) == USAGE
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


@pytest.fixture
def broken_data(data_copy):
    """A data copy with one broken cell in sources.csv, and a descriptor the dictionary refuses."""
    path = data_copy / "sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",", ",\"", 1)  # an unclosed quote
    path.write_text("".join(lines), encoding="utf-8")
    return data_copy


@pytest.mark.parametrize("command", list(DATA_CASES))
def test_data_errors_exit_1(command, broken_data, tmp_path, capsys):
    if command in ("dictionary", "docs"):  # they read the descriptor only
        (broken_data / "datapackage.json").write_text("{not json", encoding="utf-8")
    assert run(DATA_CASES[command], tmp_path) == FAILED
    said = capsys.readouterr()
    text = said.out + said.err  # validate prints its report on stdout
    assert ("sources.csv" in text or "datapackage.json" in text) and "Traceback" not in text
    assert not (tmp_path / "archive").exists() and not (tmp_path / "hxl").exists()
