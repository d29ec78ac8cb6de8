"""Issue 21, exit codes and messages through the real entry point (`voc.cli.main`, as `voc` runs).

CliRunner calls the app in standalone mode and so never saw the bug: `main()`
ran `app(standalone_mode=False)` and dropped the code of every `typer.Exit`,
so failures exited 0. These tests call `main()` itself.

Exit codes: 0 success, 1 failure or partial failure (the last line says
which), 2 usage.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from test_flows import tiny_rows, write_config, write_csv

from voc.cli import app, main

pytestmark = pytest.mark.reliability


def voc(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run `voc ARGS` in this process; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["voc", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), out, err


def last_line(out: str, err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()] or out.strip().splitlines()
    return lines[-1]


# -- the cases of the issue ----------------------------------------------------------


def test_ingest_of_a_source_that_is_a_folder_exits_1(tmp_path, capsys, monkeypatch) -> None:
    # Before: printed "ingest: failed" and exited 0.
    (tmp_path / "x.csv").mkdir()
    cfg = write_config(tmp_path, [{"name": "a", "path": "x.csv"}])
    code, out, err = voc(["ingest", "-c", str(cfg), "--quiet"], capsys, monkeypatch)
    assert code == 1
    assert "E210" in out and "is a folder, not a file" in " ".join(out.split())
    assert last_line(out, err) == "failed: ingest: 1 of 1 sources failed (a)"


def test_ingest_where_2_of_6_sources_failed_exits_1_and_says_partial(tmp_path, capsys, monkeypatch) -> None:
    # Before: exited 0.
    for i in range(4):
        write_csv(tmp_path / f"s{i}.csv", tiny_rows(3, prefix=f"s{i}-"))
    sources = [{"name": f"s{i}", "path": f"s{i}.csv"} for i in range(4)]
    sources += [{"name": "gone", "path": "nope.csv"}, {"name": "folder", "path": "data"}]
    (tmp_path / "data").mkdir(exist_ok=True)
    cfg = write_config(tmp_path, sources)
    code, out, err = voc(["ingest", "-c", str(cfg), "--quiet"], capsys, monkeypatch)
    assert code == 1
    assert last_line(out, err) == (
        "partial failure: ingest: 2 of 6 sources failed (gone, folder); the others finished"
    )


@pytest.mark.model
def test_run_after_a_failed_ingest_exits_1(tmp_path, capsys, monkeypatch) -> None:
    # Before: `voc run` after a failed ingest exited 0 (2 for a partial one).
    cfg = write_config(tmp_path, [{"name": "gone", "path": "nope.csv"}])
    code, out, err = voc(["run", "-c", str(cfg), "--quiet"], capsys, monkeypatch)
    assert code == 1
    assert last_line(out, err).startswith("failed: run: ingest of 1 of 1 sources failed (gone)")


def test_flow_run_ending_failed_exits_1(prefect_api, tmp_path, capsys, monkeypatch) -> None:
    # Before: `voc flow run ingest` ending in state Failed exited 0 (docs/operations.md said 1).
    cfg = write_config(tmp_path, [{"name": "gone", "path": "nope.csv"}])
    code, out, err = voc(["flow", "run", "ingest", "-c", str(cfg)], capsys, monkeypatch)
    assert code == 1
    assert last_line(out, err).startswith("failed: flow ingest ended Failed: 1 of 1 steps failed: gone")


def test_flow_run_partial_is_a_failed_state_and_exits_1(prefect_api, tmp_path) -> None:
    from flows import ingest_flow

    write_csv(tmp_path / "a.csv", tiny_rows(3))
    cfg = write_config(tmp_path, [{"name": "a", "path": "a.csv"}, {"name": "gone", "path": "nope.csv"}])
    state = ingest_flow(str(cfg), return_state=True)
    assert state.is_failed() and state.name == "Partial"  # Prefect workers and automations see a failure


def test_themes_show_of_an_unknown_theme_exits_1(tmp_path, capsys, monkeypatch) -> None:
    # Before: `voc themes show T9999` exited 0.
    cfg = write_config(tmp_path, [])
    from voc.config import load_config
    from voc.store import open_store

    with open_store(load_config(cfg)):
        pass  # an empty store
    code, out, _ = voc(["themes", "show", "T9999", "-c", str(cfg)], capsys, monkeypatch)
    assert code == 1 and "no themes yet" in out


def test_usage_errors_exit_2(capsys, monkeypatch) -> None:
    code, _, err = voc(["ingest", "--bogus"], capsys, monkeypatch)
    assert code == 2 and "Usage:" in err


# -- every command: a failure exits non-zero -------------------------------------------

# command -> arguments that make it fail (a missing config file, store, input or theme).
FAILING: dict[str, list[str]] = {
    "init": ["{tmp}/exists.toml"],
    "demo": ["--out", "{tmp}/demo", "--items", "10"],
    "ingest": ["-c", "{tmp}/folder.toml", "--quiet"],
    "status": ["-c", "{tmp}/empty.toml"],
    "analyze": ["{tmp}/missing.csv", "--out", "{tmp}/out"],
    "run": ["-c", "{tmp}/missing.toml"],
    "backlog": ["-c", "{tmp}/missing.toml"],
    "report": ["-c", "{tmp}/empty.toml"],
    "serve": ["-c", "{tmp}/missing.toml"],
    "train sentiment": ["-c", "{tmp}/missing.toml"],
    "eval mapping": ["-c", "{tmp}/missing.toml"],
    "eval airline-backlog": ["{tmp}/no-such-out"],
    "eval demo-backlog": ["-c", "{tmp}/missing.toml"],
    "eval demo-themes": ["-c", "{tmp}/missing.toml"],
    "eval exports": ["--shape", "no-such-shape"],
    "eval backlog-evidence": ["--dataset", "no-such-dataset"],
    "eval nhs-themes": ["--data", "{tmp}/no-shared-data"],  # a missing file: E215, not a traceback
    "eval sentiment": ["-c", "{tmp}/missing.toml", "--data", "{tmp}/missing.csv"],
    "eval themes": ["-c", "{tmp}/missing.toml", "--data", "{tmp}/missing.csv"],
    "eval items": ["--data-dir", "{tmp}/no-shared-data"],  # E270, before any model loads
    "eval mentions": ["--data-dir", "{tmp}/no-shared-data"],
    "eval complaints": ["--data-dir", "{tmp}/no-shared-data"],
    "train item-calibrator": ["--data-dir", "{tmp}/no-shared-data"],
    "train item-tone": ["--data-dir", "{tmp}/no-shared-data"],  # E270, before any model loads
    "alerts mute": ["T1", "-c", "{tmp}/missing.toml"],
    "alerts unmute": ["T1", "-c", "{tmp}/missing.toml"],
    "alerts list": ["-c", "{tmp}/missing.toml"],
    "flow run": ["ingest", "-c", "{tmp}/missing.toml"],
    "themes update": ["-c", "{tmp}/missing.toml"],
    "themes list": ["-c", "{tmp}/empty.toml"],
    "themes show": ["T9999", "-c", "{tmp}/empty.toml"],
}


def _leaf_commands() -> list[str]:
    out: list[str] = []

    def walk(group, prefix: str) -> None:
        for name, cmd in group.commands.items():
            full = f"{prefix} {name}".strip()
            if hasattr(cmd, "commands"):
                walk(cmd, full)
            else:
                out.append(full)

    walk(typer.main.get_command(app), "")
    return out


def test_every_command_has_a_failure_case_below() -> None:
    assert sorted(_leaf_commands()) == sorted(FAILING)


@pytest.mark.parametrize("command", sorted(FAILING))
def test_a_failure_exits_non_zero(command: str, tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "exists.toml").write_text("")
    (tmp_path / "empty.toml").write_text('[store]\npath = "nothing-here.duckdb"\n')
    (tmp_path / "x.csv").mkdir()
    (tmp_path / "folder.toml").write_text('[[sources]]\nname = "a"\nformat = "csv"\npath = "x.csv"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    args = [*command.split(), *(a.format(tmp=tmp_path) for a in FAILING[command])]
    code, out, err = voc(args, capsys, monkeypatch)
    assert code == 1, (command, out, err)
    assert "Traceback" not in out + err
    assert last_line(out, err)


# -- status while another process writes ------------------------------------------------

WRITER = """
import sys, time
from voc.config import load_config
from voc.pipeline.ingest import ingest
from voc.store import open_store

cfg = load_config(sys.argv[1])
with open_store(cfg) as store:
    ingest(cfg, progress=False, store=store)
    run = store.start_run("analyze", None)
    print("writing", flush=True)
    time.sleep(120)
"""


def test_status_is_readable_while_a_writer_runs(tmp_path, capsys, monkeypatch) -> None:
    # Before: `voc status` refused to read while a writer ran (E301).
    write_csv(tmp_path / "a.csv", tiny_rows(7))
    cfg = write_config(tmp_path, [{"name": "a", "path": "a.csv"}])
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(cfg)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        t0 = time.monotonic()
        code, out, err = voc(["status", "-c", str(cfg)], capsys, monkeypatch)
        assert time.monotonic() - t0 < 10  # no waiting for the writer's lock
    finally:
        writer.kill()
        writer.wait(timeout=30)
    text = " ".join(out.split())
    assert code == 0, err
    assert "being written by another voc process" in text and "snapshot" in text
    assert "7 items stored" in text and "adds up" in text
    assert "running" in text  # the writer's run, as its snapshot recorded it


# -- messages: file name, cause, fix; no traceback, no binary dump ----------------------


@pytest.mark.parametrize(
    ("name", "make", "code", "says"),
    [
        # Before: about 600 binary characters in a "no text column found among [...]" message.
        ("x.csv", lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 12), "E211",
         "is not a text file: it starts with a program (ELF binary)"),
        # Before: a 58-line BadZipFile traceback without the file name.
        ("x.xlsx", lambda p: p.write_text("id,text\n1,hello\n"), "E212", "is not an .xlsx workbook"),
        # Before: an IsADirectoryError traceback.
        ("x.csv", lambda p: p.mkdir(), "E210", "is a folder, not a file"),
    ],
)  # fmt: skip
def test_unusable_input_files_get_a_short_message(
    name, make, code, says, tmp_path, capsys, monkeypatch
) -> None:
    path = tmp_path / name
    make(path)
    rc, out, err = voc(["analyze", str(path), "--out", str(tmp_path / "out"), "--quiet"], capsys, monkeypatch)
    text = " ".join(err.split())
    assert rc == 1 and code in text and says in text and name in text
    assert "Traceback" not in out + err and "\\x" not in text and len(text) < 400
