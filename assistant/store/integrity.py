"""Checks that an index version's files agree with each other.

:func:`consistency_problems` is cheap (counts and dimensions) and runs whenever a version is
opened; :func:`verify_version` adds SQLite's ``integrity_check`` and per-document counts for
``assistant status``. Both return German descriptions of what is wrong, empty if all is well.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import faiss

from assistant.store.manifest import Manifest

DOCSTORE = "docstore.sqlite"
VECTORS = "vectors.faiss"
MANIFEST = "manifest.json"
LEXICAL = "lexical"
_BM25_PARAMS = "params.index.json"
_MAX_REPORTED = 5  # integrity_check lines shown; the rest is summarised


def consistency_problems(
    manifest: Manifest, vectors: faiss.Index, lexical_rows: int, db: sqlite3.Connection
) -> list[str]:
    """Counts and dimensions that disagree between manifest, FAISS, docstore and BM25."""
    problems: list[str] = []
    try:
        rows = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
    except sqlite3.DatabaseError as error:
        return [f"{DOCSTORE} ist nicht lesbar ({error})"]
    if vectors.d != manifest.dimension:
        problems.append(
            f"{VECTORS} hat {vectors.d} Dimensionen, das Manifest nennt {manifest.dimension}"
        )
    if vectors.ntotal != rows:
        problems.append(
            f"{VECTORS} enthält {vectors.ntotal} Vektoren, {DOCSTORE} {rows} Abschnitte"
        )
    if manifest.chunk_count != rows:
        problems.append(
            f"{MANIFEST} nennt {manifest.chunk_count} Abschnitte, {DOCSTORE} hat {rows}"
        )
    if lexical_rows != rows:
        problems.append(f"der Stichwortindex umfasst {lexical_rows} Abschnitte statt {rows}")
    return problems


def verify_version(folder: Path) -> list[str]:
    """Everything :func:`consistency_problems` checks, plus SQLite's own integrity check,
    contiguous row numbers, per-document chunk counts and the BM25 files."""
    try:
        manifest = Manifest.read(folder / MANIFEST)
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{MANIFEST} ist nicht lesbar ({error})"]
    problems: list[str] = []
    try:
        vectors: faiss.Index | None = faiss.read_index(str(folder / VECTORS))
    except RuntimeError as error:
        vectors = None
        problems.append(f"{VECTORS} ist nicht lesbar ({_first_line(error)})")
    lexical_size, lexical_problems = _lexical_problems(folder / LEXICAL)
    problems += lexical_problems
    if not (folder / DOCSTORE).is_file():
        return [*problems, f"{DOCSTORE} fehlt"]
    db = sqlite3.connect(f"file:{folder / DOCSTORE}?mode=ro", uri=True)
    try:
        problems += _docstore_problems(db, manifest)
        if vectors is not None and lexical_size is not None and not problems:
            problems += consistency_problems(manifest, vectors, lexical_size, db)
    finally:
        db.close()
    return problems


def _docstore_problems(db: sqlite3.Connection, manifest: Manifest) -> list[str]:
    try:
        report = [row[0] for row in db.execute("PRAGMA integrity_check")]
        if report != ["ok"]:
            shown = "; ".join(report[:_MAX_REPORTED])
            more = (
                f" (und {len(report) - _MAX_REPORTED} weitere)"
                if len(report) > _MAX_REPORTED
                else ""
            )
            return [f"{DOCSTORE} ist beschädigt: {shown}{more}"]
        count, lowest, highest = db.execute(
            "SELECT count(*), min(row), max(row) FROM chunks"
        ).fetchone()
        per_source = Counter(
            dict(db.execute("SELECT source, count(*) FROM chunks GROUP BY source"))
        )
    except sqlite3.DatabaseError as error:
        return [f"{DOCSTORE} ist beschädigt ({error})"]
    problems: list[str] = []
    if count and (lowest, highest) != (0, count - 1):
        problems.append(f"die Abschnittsnummern in {DOCSTORE} sind nicht fortlaufend")
    expected = Counter({s: r.chunk_count for s, r in manifest.documents.items() if r.chunk_count})
    if per_source != expected:
        differing = sorted(set(per_source.items()) ^ set(expected.items()))
        names = sorted({source for source, _ in differing})
        problems.append(
            f"{MANIFEST} und {DOCSTORE} nennen für {len(names)} Dokument(e) verschiedene "
            f"Abschnitte (z. B. {', '.join(names[:3])})"
        )
    return problems


def _lexical_problems(folder: Path) -> tuple[int | None, list[str]]:
    """The stored BM25 index's size (None if unreadable) and what is wrong with it."""
    from assistant.store.lexical import LexicalIndex

    try:
        size = LexicalIndex.load(folder).size
        if size:
            params = json.loads((folder / _BM25_PARAMS).read_text(encoding="utf-8"))
            if int(params["num_docs"]) != size:
                return size, [
                    f"der Stichwortindex ist unvollständig ({params['num_docs']} statt {size})"
                ]
    except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
        return None, [f"der Stichwortindex ({LEXICAL}/) ist nicht lesbar ({error})"]
    return size, []


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[-1] if text else type(error).__name__
