"""README and program cannot drift apart (in the spirit of sqlite-utils' docs tests).

The settings table is compared with ``Settings`` (every field with its real default, both
directions), the command table with the parser's help, the exit-status table with the error
classes, and every ``assistant …`` command line of README and Makefile is parsed by the CLI.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant import errors
from assistant.cli import FLAGS, build_parser
from assistant.settings import Settings, env_name

REPO_DIR = Path(__file__).parents[1]
README = (REPO_DIR / "README.md").read_text(encoding="utf-8")
MAKEFILE = (REPO_DIR / "Makefile").read_text(encoding="utf-8")
_ROW = re.compile(r"^\|(.+)\|\s*$")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def _rows(text: str, header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header row starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header}"))
    rows = []
    for line in lines[start + 2 :]:
        match = _ROW.match(line)
        if not match:
            break
        rows.append([cell.strip() for cell in match.group(1).split("|")])
    return rows


def _shown(default: Any) -> str:
    """A default as the README writes it: `value`, or – for none."""
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if default is None or default == "":
        return "–"
    if isinstance(default, bool):  # as an environment variable is written
        default = str(default).lower()
    elif isinstance(default, float):
        default = f"{default:g}"
    return f"`{default}`"


def _settings_table() -> dict[str, tuple[str, str]]:
    table = {}
    for first, default, _meaning in _rows(_section("Konfiguration"), "Variable"):
        (variable,) = re.findall(r"`(ASSISTANT_\w+)`", first)
        option = re.findall(r"`(--[\w-]+)`", first)
        table[variable] = (default, option[0] if option else "")
    return table


def test_settings_table_lists_every_setting_with_its_default() -> None:
    table = _settings_table()
    fields = {env_name(name): field for name, field in Settings.model_fields.items()}
    assert sorted(table) == sorted(fields), "README table and Settings differ"
    for variable, field in fields.items():
        assert table[variable][0] == _shown(field.get_default(call_default_factory=True)), variable


def test_settings_table_names_the_options_that_override_them() -> None:
    table = _settings_table()
    documented = {variable: option for variable, (_, option) in table.items() if option}
    assert documented == {env_name(field): option for field, option in FLAGS.items()}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_command_table_matches_the_parser() -> None:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    table = {
        command.strip("`").removeprefix("assistant "): purpose
        for command, purpose in _rows(_section("Befehle und Exit-Status"), "Befehl")
    }
    assert table == helps


def test_exit_status_table_matches_the_program() -> None:
    table = {int(code) for code, _ in _rows(_section("Befehle und Exit-Status"), "Exit-Status")}
    raised = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.AssistantError)
    }
    # 0 done, 1 ingest with failed files, 2 argparse's usage errors, 130 Ctrl+C (see cli.py).
    assert table == raised | {0, 1, 2, 130}


def _command_lines() -> list[str]:
    """Every ``assistant …`` command in README code blocks and inline code, and the Makefile."""
    found = []
    in_block = False
    for line in README.splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block and re.match(r"(\.venv/bin/)?assistant ", line):
            found.append(line)
    found += re.findall(r"`((?:\.venv/bin/)?assistant [^`<…]+)`", README)
    found += [
        line.split("-m assistant ", 1)[1]
        for line in MAKEFILE.splitlines()
        if "-m assistant " in line
    ]
    return found


def _argv(line: str) -> list[str]:
    words = shlex.split(line, comments=True)
    return words[1:] if words[0].endswith("assistant") else words


def test_readme_shows_every_command() -> None:
    assert set(_subcommands()) <= {_argv(line)[0] for line in _command_lines()}


@pytest.mark.parametrize("line", _command_lines())
def test_every_documented_command_line_parses(line: str) -> None:
    argv = _argv(line)
    if len(argv) == 1:  # a command named in the text, e.g. `assistant eval`
        assert argv[0] in _subcommands()
    else:
        build_parser().parse_args(argv)
