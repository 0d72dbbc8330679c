"""Every command has German help; the core imports without Gradio; errors are messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.cli import build_parser, main

COMMANDS = ["ingest", "remove", "status", "ask", "eval", "serve"]


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_german_help_with_index_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "--index" in out
    assert any(word in out for word in ("Index", "Dokument", "Frage", "Web-Chat"))


def test_parser_has_exactly_the_documented_commands() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert sorted(subparsers.choices) == sorted([*COMMANDS, "feedback"])  # type: ignore[union-attr]


def test_core_does_not_import_gradio() -> None:
    code = (
        "import sys, assistant.service, assistant.ingest, assistant.cli, assistant.evaluation;"
        "print('gradio' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_missing_index_is_a_german_message_not_a_traceback(
    tmp_path: pytest.TempPathFactory,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Frage?", "--index", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3
    assert "assistant ingest" in done.stderr and "Traceback" not in done.stderr


def test_invalid_setting_is_reported(tmp_path: pytest.TempPathFactory) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "status", "--index", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"ASSISTANT_CHUNK_SIZE": "viel", "PATH": ""},
    )
    assert done.returncode == 2
    assert "Ungültige Einstellung" in done.stderr and "Traceback" not in done.stderr
