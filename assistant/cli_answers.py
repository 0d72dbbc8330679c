"""CLI commands that answer questions: ``ask``, ``eval`` and ``serve``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assistant.documents import Answer, Turn, format_date
from assistant.errors import AssistantError, InputError
from assistant.settings import Settings


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
        "und gibt Trefferquote, MRR, Faktenabdeckung, Antwortlänge, Verweigerungsquote und die "
        "Risiko-Abdeckungs-Tabelle aus, auch je Fragetyp. Mit mehreren Dateien (oder --workdir) "
        "wird jeder Satz auf einem eigenen Index (sein Ordner docs/ plus corpus/) und alle "
        "zusammen auf einem gemeinsamen Index ausgewertet.",
    )
    evaluate.add_argument("questions", type=Path, nargs="+", metavar="FRAGEN.jsonl")
    evaluate.add_argument(
        "--workdir",
        type=Path,
        metavar="ORDNER",
        help="Ordner für die Indizes der Fragensätze (Standard: eval-index)",
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
    serve.add_argument("--port", type=int, help="Port (Standard: 7860, Umgebung ASSISTANT_PORT)")
    _add_llm_option(serve)
    add_common(serve)


def turns_from_json(raw: Any, where: str) -> list[Turn]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(
        isinstance(t, dict)
        and t.get("role") in {"user", "assistant"}
        and isinstance(t.get("content"), str)
        for t in raw
    ):
        raise InputError(
            f'{where}: der Verlauf muss eine Liste von Objekten mit "role" (user/assistant) und '
            '"content" (Text) sein.'
        )
    return [Turn(t["role"], t["content"]) for t in raw]


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


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import Assistant

    assistant = Assistant(settings)
    if args.jsonl:
        if args.question:
            raise InputError(
                "Mit --jsonl kommen die Fragen von der Standardeingabe, nicht als Argument."
            )
        for answer in answer_lines(assistant, sys.stdin):
            print(json.dumps(answer, ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        raise InputError(
            'Bitte geben Sie eine Frage an, z. B. assistant ask "Wann startete die StrategieWerkstatt?"'
        )
    history: list[Turn] = []
    if args.history:
        try:
            history = turns_from_json(
                json.loads(args.history.read_text(encoding="utf-8")), str(args.history)
            )
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(
                f"{args.history}: die Verlaufsdatei ist nicht lesbar ({error})."
            ) from error
    print_answer(assistant.ask(args.question, history))
    return 0


def answer_lines(assistant: Any, lines: Iterable[str]) -> Iterable[dict[str, Any]]:
    """One JSON answer per JSON question line; a bad line gets an error object, not a crash."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("question"), str):
                raise InputError(f'Zeile {number}: erwartet wird ein Objekt mit "question" (Text).')
            answer = assistant.ask(
                request["question"], turns_from_json(request.get("history"), f"Zeile {number}")
            )
            yield answer.to_json()
        except json.JSONDecodeError as error:
            yield _error_line(f"Zeile {number}: kein gültiges JSON ({error.msg}).")
        except AssistantError as error:
            yield _error_line(str(error))


def _error_line(message: str) -> dict[str, Any]:
    return {"answered": False, "answer": "", "citations": [], "passages": [], "error": message}


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation import evaluate, evaluate_sets, format_report, format_reports
    from assistant.service import Assistant

    if len(args.questions) == 1 and args.workdir is None:
        report = evaluate(Assistant(settings), args.questions[0], args.output)
        text = format_report(report)
    else:
        workdir = args.workdir or Path("eval-index")
        report = evaluate_sets(settings, args.questions, workdir, settings.corpus_dir)
        text = format_reports(report)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else text)
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
