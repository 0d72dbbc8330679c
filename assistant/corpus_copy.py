"""Documents ingested from outside the corpus folder are copied into it, so that the source
links of answers (served from ``corpus_dir``) open. A different file of the same name already
in the corpus is never overwritten: the copy gets the content hash in its name instead."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.ingest_file import display_name


class Candidate(Protocol):
    path: Path
    source: str


@dataclass
class CopyReport:
    copied: list[tuple[str, str]] = field(default_factory=list)  # (read from, stored as)
    unlinked: list[tuple[str, str]] = field(default_factory=list)  # (source, German reason)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _target(root: Path, source: str, digest: str) -> Path:
    """Where the copy goes: ``root/source``, or beside it with the hash if that name is taken."""
    target = root / source
    if not target.exists() or _digest(target) == digest:
        return target
    return target.with_name(f"{target.stem}-{digest[:8]}{target.suffix}")


def bring_into_corpus(
    candidates: list[Candidate], corpus_dir: Path, *, copy: bool, dry_run: bool
) -> CopyReport:
    """Copy candidates that lie outside ``corpus_dir`` into it (renaming their ``source`` if a
    different file holds the name); with ``copy`` off, report that their links will not work."""
    report = CopyReport()
    root = corpus_dir.resolve()
    for candidate in candidates:
        if candidate.path.resolve().is_relative_to(root):
            continue
        if not copy:
            report.unlinked.append(
                (
                    candidate.source,
                    f"liegt außerhalb von {corpus_dir}; der Quellenlink wird nicht funktionieren",
                )
            )
            continue
        try:
            digest = _digest(candidate.path)
            target = _target(root, candidate.source, digest)
            if not target.exists() or _digest(target) != digest:
                if not dry_run:
                    _copy(candidate.path, target)
                report.copied.append(
                    (display_name(str(candidate.path)), target.relative_to(root).as_posix())
                )
        except OSError as error:
            report.unlinked.append(
                (
                    candidate.source,
                    f"konnte nicht nach {corpus_dir} kopiert werden ({error.strerror}); "
                    "der Quellenlink wird nicht funktionieren",
                )
            )
            continue
        candidate.source = target.relative_to(root).as_posix()
    return report


def _copy(source: Path, target: Path) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.kopie")
    shutil.copyfile(source, partial)
    os.replace(partial, target)
