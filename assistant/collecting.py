"""Which files of the given files and folders an ingest reads, and which it must refuse.

Only visible regular files inside a scanned folder are read. Links are followed only to a
visible regular file inside the same folder; a link out of it (``/etc/passwd``) is refused and
its document never kept. Folders that cannot be read are reported, and the ingest keeps their
documents instead of taking them for deleted. Names that are not UTF-8 get a display form.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import os_error_reason
from assistant.ingest_file import display_name
from assistant.loading import is_supported


@dataclass
class Candidate:
    path: Path  # absolute, the link itself for a permitted link inside the folder
    source: str  # the document's id: its path relative to the scanned folder (valid Unicode)


@dataclass
class Collection:
    candidates: list[Candidate] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # scanned completely or in part
    unreadable: list[Path] = field(default_factory=list)  # their documents are kept as they are
    refused: set[str] = field(default_factory=set)  # links out of the folder: never kept
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, German reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unsupported, not followed


def collect(paths: Iterable[Path]) -> Collection:
    """Files to ingest from the given files and folders (hidden ones left out)."""
    found = Collection()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            found.folders.append(root)
            _scan(root, found)
        elif path.is_file():
            found.candidates.append(Candidate(path.absolute(), display_name(path.name)))
        else:
            found.failed.append((display_name(str(path)), "Datei oder Ordner nicht gefunden."))
    return found


def _scan(root: Path, found: Collection) -> None:
    """Walk ``root`` without following links; unreadable folders are reported, not emptied."""

    def unreadable(error: OSError) -> None:
        folder = Path(error.filename)
        found.unreadable.append(folder)
        name = display_name(folder.relative_to(root).as_posix()) if folder != root else str(root)
        found.failed.append(
            (
                f"{name}/",
                f"Der Ordner lässt sich nicht lesen ({os_error_reason(error)}). Seine Dokumente "
                "bleiben unverändert im Index.",
            )
        )

    first = len(found.candidates)
    for folder, subfolders, files in os.walk(root, onerror=unreadable):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(subfolders):
            if (Path(folder) / name).is_symlink():
                _refuse(root, Path(folder) / name, found)
        for name in sorted(files):
            if not name.startswith("."):
                _consider(root, Path(folder) / name, found)
    # In path order, links last: of a file and a link to it, the file itself is stored.
    found.candidates[first:] = sorted(
        found.candidates[first:], key=lambda c: (c.path.is_symlink(), Path(c.source).parts)
    )


def _consider(root: Path, file: Path, found: Collection) -> None:
    source = display_name(file.relative_to(root).as_posix())
    if file.is_symlink() and not _link_stays_inside(root, file):
        _refuse(root, file, found)
    elif not file.is_file():
        found.failed.append(
            (source, "Keine gewöhnliche Datei (z. B. eine Pipe oder ein Gerät); nicht eingelesen.")
        )
    elif is_supported(file):
        found.candidates.append(Candidate(file, source))
    else:
        found.skipped.append((source, "Dateityp wird nicht unterstützt"))


def _link_stays_inside(root: Path, link: Path) -> bool:
    """A link may point to a visible regular file inside the scanned folder, nowhere else."""
    target = link.resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return False
    return not any(part.startswith(".") for part in target.relative_to(root).parts)


def _refuse(root: Path, link: Path, found: Collection) -> None:
    source = display_name(link.relative_to(root).as_posix())
    if link.is_dir():
        if link.resolve().is_relative_to(root):
            found.skipped.append((source, "Verknüpfung auf einen Ordner; wird nicht verfolgt"))
            return
        reason = "Die Verknüpfung zeigt auf einen Ordner außerhalb des eingelesenen Ordners"
    else:
        reason = (
            "Die Verknüpfung zeigt auf keine sichtbare Datei innerhalb des eingelesenen Ordners "
            f"(Ziel: {display_name(os.readlink(link))})"
        )
    found.refused.add(source)
    found.failed.append(
        (
            source,
            f"{reason}; aus Sicherheitsgründen nicht eingelesen. Kopieren Sie das Dokument "
            "in den Ordner, statt es zu verknüpfen.",
        )
    )
