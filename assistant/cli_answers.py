"""CLI commands that answer questions: ``ask``, ``eval`` and ``serve``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.cli_parser import whole_number
from assistant.documents import Answer, Turn, format_date
from assistant.errors import IndexMissingError, InputError
from assistant.jsonl import answer_lines, turns_from_json
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.service import Assistant


def _add_llm_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--llm", choices=["none", "openai", "ollama"], help="Sprachmodell (Standard: none)"
    )


def add_answer_commands(
    commands: Any, add_common: Callable[[argparse.ArgumentParser], None]
) -> None:
    ask = commands.add_parser(
        "ask",
        help="eine Frage beantworten (oder viele als JSON-Zeilen)",
        description="Beantwortet eine Frage mit Quellen. Mit --jsonl liest der Befehl JSON-Zeilen "
        '{"question": ..., "history": [{"role", "content"}, ...]} von der Standardeingabe und schreibt '
        "je Frage eine JSON-Zeile (answered, answer, citations, passages).",
    )
    ask.add_argument("question", nargs="?", metavar="FRAGE", help="die Frage (nicht mit --jsonl)")
    ask.add_argument(
        "--history",
        type=Path,
        metavar="DATEI",
        help='frühere Gesprächsschritte als JSON-Liste [{"role": "user", "content": ...}, ...]',
    )
    ask.add_argument(
        "--jsonl",
        action="store_true",
        help="Fragen als JSON-Zeilen von stdin, Antworten als JSON-Zeilen",
    )
    _add_llm_option(ask)
    add_common(ask)

    evaluate = commands.add_parser(
        "eval",
        help="Fragen mit Sollantworten auswerten",
        description="Beantwortet alle Fragen einer JSON-Lines-Datei (Format des Entwicklungssatzes) "
        "und gibt Trefferquote, MRR, Faktenabdeckung und Verweigerungsquote aus, auch je Fragetyp.",
    )
    evaluate.add_argument(
        "questions",
        nargs="+",
        type=Path,
        metavar="FRAGEN.jsonl",
        help="eine oder mehrere Fragendateien (JSON-Zeilen)",
    )
    evaluate.add_argument(
        "--output",
        type=Path,
        metavar="DATEI",
        help="Antworten zusätzlich als JSON-Zeilen speichern",
    )
    evaluate.add_argument("--json", action="store_true", help="Kennzahlen als JSON ausgeben")
    _add_llm_option(evaluate)
    add_common(evaluate)

    serve = commands.add_parser(
        "serve",
        help="den Web-Chat starten",
        description="Startet den Web-Chat (Gradio). Fehlt der Index, wird corpus/ zuerst eingelesen.",
    )
    serve.add_argument("--host", help="Adresse (Standard: 127.0.0.1, Umgebung ASSISTANT_HOST)")
    serve.add_argument(
        "--port", type=whole_number, help="Port (Standard: 7860, Umgebung ASSISTANT_PORT)"
    )
    _add_llm_option(serve)
    add_common(serve)


def print_answer(answer: Answer) -> None:
    """An answer and its numbered sources, for a person at a terminal."""
    print(answer.text)
    if answer.notice:
        print(f"\nHinweis: {answer.notice}")
    if answer.citations:
        print("\nQuellen:")
        for citation in answer.citations:
            passage = citation.passage
            page = f", S. {passage.page}" if passage.page else ""
            print(
                f"  [{citation.n}] {passage.title} ({format_date(passage.date)}{page}) – {passage.source}"
            )
            print(f"      „{citation.quote}“")


def _ready(assistant: Assistant) -> Assistant:
    """The assistant with its index open: a missing, mismatched or unreadable index fails
    here, before any input is read (all-zero figures or error lines would look like results)."""
    if not assistant.store.exists():  # before the model is loaded, which takes seconds
        raise IndexMissingError(assistant.settings.index_dir)
    assistant.snapshot()
    return assistant


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every question got an answer (or an honest refusal); 2 when a JSON line
    was unusable (its error object is in the output); 3 when the index cannot be used."""
    from assistant.service import Assistant

    if args.jsonl and args.question:
        raise InputError(
            "Mit --jsonl kommen die Fragen von der Standardeingabe, nicht als Argument."
        )
    if not args.jsonl and not args.question:
        raise InputError(
            'Bitte geben Sie eine Frage an, z. B. assistant ask "Wann startete die StrategieWerkstatt?"'
        )
    history = _history(args.history) if args.history else []
    assistant = _ready(Assistant(settings))
    if not args.jsonl:
        print_answer(assistant.ask(args.question, history))
        return 0
    failed = 0
    for answer in answer_lines(assistant, sys.stdin):
        failed += "error" in answer
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    if failed:
        print(
            f'{failed} Zeile(n) konnten nicht beantwortet werden (siehe "error").', file=sys.stderr
        )
    return InputError.exit_code if failed else 0


def _history(path: Path) -> list[Turn]:
    try:
        return turns_from_json(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: die Verlaufsdatei ist nicht lesbar ({error}).") from error


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 with the figures; 2 for an unreadable question file; 3 for an unusable index."""
    from assistant.evaluation import evaluate, format_report
    from assistant.service import Assistant

    assistant = _ready(Assistant(settings))
    for questions in args.questions:
        report = evaluate(assistant, questions, args.output)
        if len(args.questions) > 1 and not args.json:
            print(f"== {questions}")
        print(
            json.dumps(report, ensure_ascii=False, indent=1) if args.json else format_report(report)
        )
    return 0


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ui import serve

    serve(settings)
    return 0


ANSWER_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "ask": run_ask,
    "eval": run_eval,
    "serve": run_serve,
}
