"""``assistant feedback``: the citizens' votes for staff, as a list or as a CSV file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.errors import ConfigurationError
from assistant.feedback import FeedbackStore
from assistant.settings import Settings

VOTE_NAMES = {"up": "hilfreich", "down": "nicht hilfreich", "withdrawn": "zurückgenommen"}


def add_feedback_command(commands: Any) -> None:
    """Register the ``feedback`` subcommand on the CLI's subparsers."""
    feedback = commands.add_parser(
        "feedback",
        help="Bewertungen aus dem Web-Chat zeigen oder als CSV exportieren",
        description="Zeigt die neuesten Bewertungen (Daumen hoch/runter, Kommentar, Frage mit "
        "vorigem Gesprächsschritt) oder schreibt alle als CSV-Datei.",
    )
    feedback.add_argument(
        "--anzahl", type=int, default=20, metavar="N", help="so viele neueste (Standard: 20)"
    )
    feedback.add_argument("--csv", type=Path, metavar="DATEI", help="alle als CSV in DATEI")
    feedback.add_argument(
        "--ordner",
        type=Path,
        metavar="ORDNER",
        help="Ordner der Bewertungen (Standard: feedback/, Umgebung ASSISTANT_FEEDBACK_DIR)",
    )
    feedback.add_argument(
        "-v", "--verbose", action="store_true", help="ausführliche Protokollausgabe"
    )


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_feedback(args: argparse.Namespace, settings: Settings) -> int:
    store = FeedbackStore(args.ordner or settings.feedback_dir)
    if args.csv:
        try:
            with args.csv.open("w", encoding="utf-8", newline="") as output:
                count = store.export_csv(output)
        except OSError as error:
            raise ConfigurationError(
                f"Die CSV-Datei {args.csv} kann nicht geschrieben werden ({error.strerror}). "
                "Prüfen Sie Pfad und Schreibrechte."
            ) from error
        print(f"{count} Bewertungen nach {args.csv} geschrieben.")
        return 0
    records = store.records(limit=max(args.anzahl, 1))
    if not records:
        print(f"Noch keine Bewertungen in {store.path.parent}.")
        return 0
    for record in reversed(records):
        print(f"{record['timestamp']}  {VOTE_NAMES.get(record['vote'], record['vote'])}")
        if record["previous_question"]:
            print(f"  vorher gefragt: {_shorten(record['previous_question'])}")
        print(f"  Frage:   {_shorten(record['question'])}")
        if record["standalone_question"] != record["question"]:
            print(f"  gesucht: {_shorten(record['standalone_question'])}")
        print(f"  Antwort: {_shorten(record['answer'])}")
        if record["comment"]:
            print(f"  Kommentar: {_shorten(record['comment'], 400)}")
    return 0


FEEDBACK_COMMANDS = {"feedback": run_feedback}
