"""The ``assistant`` command: German help and errors, JSON output, exit codes, progress.

Exit codes (README, "Exit-Status"): 0 done, 1 some files failed in ingest, 2 unusable input
or settings (also wrong usage), 3 index missing, built with another model or unreadable,
4 another ingest is running, 5 embedding model cannot be loaded, 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_DIR, RunCli
from fakes import HashingEmbeddings

from assistant.cli import build_parser, main
from assistant.ingest import ingest
from assistant.settings import Settings

COMMANDS = ["ingest", "remove", "status", "ask", "eval", "serve"]
ENGLISH = ("usage:", "error:", "show this help", "invalid choice", "required", "options:")
TEXTS = {
    "2017-03-07_konferenz.txt": "Strategiekonferenz\n\nDie Strategiekonferenz fand am "
    "7. März 2017 in Leipzig statt. Rund 200 Gäste kamen.\n",
    "2016-01-12_werkstatt.txt": "Werkstatt\n\nDie StrategieWerkstatt startete im Januar 2016 "
    "in Dresden.\n",
}


def _corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory, run_cli_module: RunCli) -> Path:
    """A two-document index built by ``assistant ingest`` with the default model."""
    base = tmp_path_factory.mktemp("cli")
    done = run_cli_module("ingest", str(_corpus(base / "docs")), "--index", str(base / "index"))
    assert done.returncode == 0, done.stderr
    return base / "index"


@pytest.fixture(scope="module")
def run_cli_module(tmp_path_factory: pytest.TempPathFactory) -> RunCli:
    from conftest import _run_cli

    return functools.partial(_run_cli, corpus_dir=tmp_path_factory.mktemp("cli-corpus"))


@pytest.fixture
def fake_index(settings: Settings, fake_embeddings: HashingEmbeddings) -> Path:
    """An index built with the fake embedder: the CLI's default model does not match it."""
    ingest([_corpus(settings.corpus_dir)], settings, embeddings=fake_embeddings, quiet=True)
    return settings.index_dir


# --- help and usage -------------------------------------------------------------------------


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("Aufruf: assistant")
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_german_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Aufruf: assistant {command}")
    assert "Optionen:" in out and "diese Hilfe zeigen und beenden" in out
    assert not any(english in out for english in ENGLISH), out
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for action in subparsers.choices[command]._actions:  # type: ignore[union-attr]
        assert action.help, f"{command}: {action.dest} has no help text"
        for option in action.option_strings:
            assert option in out


def test_parser_has_exactly_the_documented_commands() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert sorted(subparsers.choices) == sorted(COMMANDS)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("argv", "german"),
    [
        (["ask", "--llm", "gpt"], "ungültige Auswahl: 'gpt' (möglich sind 'none', 'openai'"),
        (["eval"], "diese Angaben fehlen: FRAGEN.jsonl"),
        (["frage"], "ungültige Auswahl: 'frage'"),
        (["status", "--gibtsnicht"], "unbekannte Argumente: --gibtsnicht"),
        (["serve", "--port", "acht"], "ungültiger Wert 'acht', erwartet: ganze Zahl"),
        (["ingest", "--max-file-mb", "viel"], "ungültiger Wert 'viel', erwartet: Zahl"),
        (["status", "--index"], "Argument --index: erwartet einen Wert"),
        ([], "diese Angaben fehlen: BEFEHL"),
    ],
)
def test_usage_errors_are_german_with_exit_code_2(
    argv: list[str], german: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Aufruf: assistant") and "Fehler: " in err
    assert german in err
    assert not any(english in err for english in ENGLISH), err


def test_german_texts_do_not_leak_into_other_parsers() -> None:
    import argparse

    build_parser().format_help()
    assert argparse.ArgumentParser(prog="x").format_usage().startswith("usage: x")


def test_core_does_not_import_gradio() -> None:
    code = (
        "import sys, assistant.service, assistant.ingest, assistant.cli, assistant.evaluation;"
        "print('gradio' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- exit codes and messages ----------------------------------------------------------------


def _german_failure(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.startswith("Fehler: ")
    for word in words:
        assert word in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "Wann war die Konferenz?"],
        ["ask", "--jsonl"],
        ["eval", "QUESTIONS"],
        ["status"],
        ["remove", "x.txt"],
    ],
)
def test_missing_index_is_exit_3_with_a_german_message(
    argv: list[str], tmp_path: Path, run_cli: RunCli
) -> None:
    questions = tmp_path / "fragen.jsonl"
    questions.write_text('{"question": "Wann?", "gold_docs": ["a.txt"]}\n', encoding="utf-8")
    argv = [str(questions) if a == "QUESTIONS" else a for a in argv]
    done = run_cli(*argv, "--index", str(tmp_path / "leer"))
    _german_failure(done, 3, "gibt es noch keinen Index", "assistant ingest")
    assert done.stdout == "", "no all-zero figures, no error lines"


@pytest.mark.parametrize(
    "argv", [["ask", "Wann war die Konferenz?"], ["ask", "--jsonl"], ["eval", "QUESTIONS"]]
)
def test_index_of_another_model_is_exit_3(
    argv: list[str], fake_index: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    questions = tmp_path / "fragen.jsonl"
    questions.write_text('{"question": "Wann?"}\n', encoding="utf-8")
    argv = [str(questions) if a == "QUESTIONS" else a for a in argv]
    done = run_cli(*argv, "--index", str(fake_index))
    _german_failure(done, 3, "fake:hash-64", "--rebuild")
    assert done.stdout == ""


@pytest.mark.parametrize(
    "argv", [["status"], ["ask", "Wann war die Konferenz?"], ["ask", "--jsonl"]]
)
def test_unreadable_index_is_exit_3(argv: list[str], fake_index: Path, run_cli: RunCli) -> None:
    (manifest,) = fake_index.glob("versions/*/manifest.json")
    manifest.write_text("{kaputt", encoding="utf-8")
    done = run_cli(*argv, "--index", str(fake_index))
    _german_failure(done, 3, "nicht lesbar", "--rebuild")


def test_jsonl_answers_good_lines_and_exits_2_for_bad_ones(real_index: Path) -> None:
    lines = '{"question": "Wann war die Strategiekonferenz?"}\nkaputt\n{"question": 3}\n'
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--jsonl", "--index", str(real_index)],
        input=lines,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 2, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["answered"] for a in answers] == [True, False, False]
    assert "7. März 2017" in answers[0]["answer"] and "error" not in answers[0]
    assert answers[1]["error"] == "Zeile 2: kein gültiges JSON (Expecting value)."
    assert answers[2]["error"].startswith('Zeile 3: erwartet wird ein Objekt mit "question"')
    assert "2 Zeile(n) konnten nicht beantwortet werden" in done.stderr


def test_jsonl_of_good_lines_exits_0(real_index: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--jsonl", "--index", str(real_index)],
        input='{"question": "Wo startete die StrategieWerkstatt?"}\n\n',
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 0, done.stderr
    (answer,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert answer["answered"] and "Dresden" in answer["answer"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["fragen.jsonl", "nicht lesbar"]),
        ("kein json\n", ["fragen.jsonl", "nicht lesbar"]),
    ],
)
def test_unreadable_question_file_is_exit_2(
    content: str | None, words: list[str], real_index: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    questions = tmp_path / "fragen.jsonl"
    if content is not None:
        questions.write_text(content, encoding="utf-8")
    done = run_cli("eval", str(questions), "--index", str(real_index))
    _german_failure(done, 2, *words)


def test_eval_on_a_working_index(real_index: Path, tmp_path: Path, run_cli: RunCli) -> None:
    questions = tmp_path / "fragen.jsonl"
    question = {
        "question": "Wann war die Strategiekonferenz?",
        "gold_docs": ["2017-03-07_konferenz.txt"],
        "gold_facts": ["7. März 2017"],
    }
    questions.write_text(json.dumps(question) + "\n", encoding="utf-8")
    done = run_cli("eval", str(questions), "--json", "--index", str(real_index))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["questions"], report["recall@5"], report["answer_fact_coverage"]) == (1, 1, 1)


def test_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "status", "--index", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"ASSISTANT_CHUNK_SIZE": "viel", "PATH": "", "PYTHONPATH": str(REPO_DIR)},
        cwd=tmp_path,  # no .env of the developer's checkout
    )
    _german_failure(done, 2, "Ungültige Einstellung", "ASSISTANT_CHUNK_SIZE", "ganze Zahl")


def test_a_flag_breaking_a_rule_is_exit_2(tmp_path: Path, run_cli: RunCli) -> None:
    done = run_cli("ingest", str(tmp_path), "--chunk-size", "300", "--chunk-overlap", "300")
    _german_failure(done, 2, "ASSISTANT_CHUNK_OVERLAP", "--chunk-overlap", "kleiner")


def test_failed_files_make_ingest_exit_1(tmp_path: Path, run_cli: RunCli) -> None:
    corpus = _corpus(tmp_path / "docs")
    (corpus / "kaputt.pdf").write_text("kein PDF", encoding="utf-8")
    done = run_cli("ingest", str(corpus), "--index", str(tmp_path / "index"), "--json")
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["failed"][0]["file"] == "kaputt.pdf" and summary["failed"][0]["reason"]
    assert sorted(summary["added"]) == sorted(TEXTS)
    assert "FEHLER kaputt.pdf" in done.stderr and "Traceback" not in done.stderr


# --- JSON output and progress ---------------------------------------------------------------


def test_status_json(fake_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--json", "--index", str(fake_index)]) == 0
    status: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert (status["documents"], status["embedding_model"], status["dimension"]) == (
        2,
        "fake:hash-64",
        64,
    )
    assert status["chunks"] == sum(f["chunks"] for f in status["files"]) >= 2
    assert [f["source"] for f in status["files"]] == sorted(TEXTS)  # by date
    assert status["newest_date"] == "2017-03-07"


def test_ingest_json_and_plain_progress_lines_when_redirected(
    tmp_path: Path, run_cli: RunCli
) -> None:
    corpus = _corpus(tmp_path / "docs")
    index = str(tmp_path / "index")
    done = run_cli("ingest", str(corpus), "--index", index)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr, "no bar frames in a redirected stream"
    assert "Lesen 1/2: 2016-01-12_werkstatt.txt\n" in done.stderr
    assert "Einbetten: 2/2 Abschnitte\n" in done.stderr
    assert "Ingest abgeschlossen" in done.stdout

    again = run_cli("ingest", str(corpus), "--index", index, "--json")
    assert again.returncode == 0 and again.stderr == ""
    summary = json.loads(again.stdout)
    assert sorted(summary["unchanged"]) == sorted(TEXTS)
    assert (summary["added"], summary["chunks_embedded"], summary["documents_total"]) == ([], 0, 2)

    quiet = run_cli("ingest", str(corpus), "--index", index, "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from assistant import progress

    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    assert list(progress.each(["a", "b"], "Lesen", "Dateien", str, quiet=False)) == ["a", "b"]
    assert "\r" in terminal.getvalue() and "2/2" in terminal.getvalue()


def test_no_color_turns_off_uvicorn_colours(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    ui = pytest.importorskip("assistant.ui")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(ui, "prepare_index", lambda assistant: None)
    monkeypatch.setattr(ui, "build_app", lambda settings, assistant: "app")
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setenv("NO_COLOR", "1")
    ui.serve(settings)
    monkeypatch.delenv("NO_COLOR")
    ui.serve(settings)
    assert [call["use_colors"] for call in calls] == [False, None]
