"""The CLI: every command documented, init writes a valid config, errors exit cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import typer
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()
README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        full = f"{prefix} {name}".strip()
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full)
    return out


def test_every_command_has_help_and_is_in_the_readme() -> None:
    root = typer.main.get_command(app)
    cmds = _commands(root)
    assert len(cmds) >= 6
    for name, cmd in cmds:
        assert (cmd.help or "").strip(), f"`voc {name}` has no help text"
        assert f"voc {name}" in README, f"`voc {name}` is not documented in README.md"


def test_init_writes_a_config_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "config" / "voc.toml"
    res = runner.invoke(app, ["init", str(target)])
    assert res.exit_code == 0, res.output
    from voc.config import load_config

    assert load_config(target).clean.redact_pii
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code != 0  # refuses to overwrite


def test_library_errors_become_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "voc.toml"
    bad.write_text("[clean]\nredact_pi = true\n")
    proc = subprocess.run(
        [sys.executable, "-m", "voc", "status", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "E101" in proc.stderr and "clean.redact_pi" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_errors_are_a_usage_message_and_exit_2() -> None:
    for args in (
        ["analyze", "--bogus"],
        ["flow", "run", "nope"],
        ["train", "sentiment", "--sst-loss", "ternary"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "voc", *args], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Usage:" in proc.stderr and "Error:" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_help_is_fast() -> None:
    # Heavy libraries (torch, transformers, bertopic) must not load for `voc --help`.
    code = "import sys, voc.cli; print(any(m in sys.modules for m in ('torch', 'transformers', 'bertopic', 'spacy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
