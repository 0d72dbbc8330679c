"""Benchmark: extracted titles and dates against the dev sets' MANIFEST files.

Prints, per dev set, how many documents get the manifest's date at the source's precision
and a title that matches the manifest title or its main part (before ": " or " – "), then
every miss with where the value came from. Not a test; asserts nothing.

The manifests write a month-only date as the first of the month ("2018-11-01"); a month-only
extraction ("2018-11") counts as exact when the manifest day is 01, a day-exact one must match
the day.

Usage (from the repository root)::

    .venv/bin/python bench/metadata.py [docs folder ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
if str(REPO_DIR) not in sys.path:  # run as a script: make ``assistant`` importable
    sys.path.insert(0, str(REPO_DIR))

from assistant.errors import DocumentError  # noqa: E402
from assistant.loading import load_document  # noqa: E402
from assistant.metadata_check import date_matches, title_matches  # noqa: E402

SHARED = REPO_DIR.parent / "shared"
DEFAULT_FOLDERS = [SHARED / "devset" / "docs", SHARED / "devset2" / "docs"]
DATE_TARGET, TITLE_TARGET = 0.95, 0.90


def _manifest(folder: Path) -> list[dict[str, str]]:
    lines = (folder / "MANIFEST.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def measure(folder: Path) -> tuple[int, int, int, list[str]]:
    """(documents, dates right, titles right, lines describing each miss)."""
    entries = _manifest(folder)
    dates = titles = 0
    misses: list[str] = []
    for entry in entries:
        try:
            document = load_document(folder / entry["file"], entry["file"], 10**9)
        except DocumentError as error:
            misses.append(f"  {entry['file']}: not loaded ({error.reason})")
            continue
        origin = document.provenance
        if date_matches(document.date, entry.get("date")):
            dates += 1
        else:
            misses.append(
                f"  date  {entry['file']}: {document.date} ({origin.get('date', '?')}), "
                f"expected {entry.get('date')}"
            )
        if title_matches(document.title, entry["title"]):
            titles += 1
        else:
            misses.append(
                f"  title {entry['file']}: {document.title!r} ({origin.get('title', '?')}), "
                f"expected {entry['title']!r}"
            )
    return len(entries), dates, titles, misses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("folders", type=Path, nargs="*", default=DEFAULT_FOLDERS)
    args = parser.parse_args(argv)
    for folder in args.folders:
        total, dates, titles, misses = measure(folder)
        print(
            f"{folder.parent.name}: {total} documents, dates {dates}/{total} "
            f"({dates / total:.0%}, target {DATE_TARGET:.0%}), titles {titles}/{total} "
            f"({titles / total:.0%}, target {TITLE_TARGET:.0%})"
        )
        for line in misses:
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
