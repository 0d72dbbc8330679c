"""Errors of the assistant. Each carries a German message that tells the user what to do.

The CLI turns them into a message and an exit code, the UI into a notice.
"""

from __future__ import annotations

from pathlib import Path


class AssistantError(Exception):
    """Base class; ``str(error)`` is a complete German message for staff or citizens."""

    exit_code = 1


class DocumentError(AssistantError):
    """A single input file cannot be used; ingest skips it and reports why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class DocumentNotIndexedError(AssistantError):
    exit_code = 2

    def __init__(self, source: str, indexed: list[str]) -> None:
        hint = ", ".join(indexed[:8]) + (" …" if len(indexed) > 8 else "")
        super().__init__(
            f"„{source}“ ist nicht im Index. Mit `assistant status` sehen Sie alle Dokumente"
            + (f" (z. B. {hint})." if indexed else ".")
        )


class IndexMissingError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path) -> None:
        super().__init__(
            f"Im Ordner „{index_dir}“ gibt es noch keinen Index. "
            "Führen Sie zuerst `assistant ingest corpus/` aus."
        )


class IndexModelMismatchError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path, built_with: str, configured: str) -> None:
        super().__init__(
            f"Der Index in „{index_dir}“ wurde mit dem Embedding-Modell „{built_with}“ erstellt, "
            f"eingestellt ist aber „{configured}“. Bauen Sie den Index neu auf: "
            f"`assistant ingest --rebuild` (oder stellen Sie ASSISTANT_EMBEDDING_MODEL={built_with} ein)."
        )


class IndexFormatError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path, detail: str) -> None:
        super().__init__(
            f"Der Index in „{index_dir}“ ist nicht lesbar ({detail}). "
            "Bauen Sie ihn neu auf: `assistant ingest --rebuild`."
        )


class IndexDamagedError(IndexFormatError):
    """The live version's files contradict each other or cannot be read (e.g. truncated)."""

    def __init__(self, index_dir: Path, problems: list[str]) -> None:
        self.problems = problems
        AssistantError.__init__(
            self,
            f"Der Index in „{index_dir}“ ist beschädigt: {'; '.join(problems)}. "
            "Die Dokumente selbst sind nicht betroffen. Bauen Sie den Index neu auf: "
            "`assistant ingest --rebuild`.",
        )


class IndexAccessError(IndexFormatError):
    """The index exists but this user may not read it."""

    def __init__(self, index_dir: Path, part: str, error: OSError) -> None:
        AssistantError.__init__(
            self,
            f"Der Index in „{index_dir}“ lässt sich nicht öffnen ({part}: {os_error_reason(error)}). "
            "Prüfen Sie, ob dieser Benutzer den Index-Ordner lesen darf.",
        )


class IndexWriteError(AssistantError):
    """A new index version could not be written (disk full, no permission, I/O error)."""

    exit_code = 6

    def __init__(self, index_dir: Path, error: OSError | str) -> None:
        detail = os_error_reason(error) if isinstance(error, OSError) else error
        super().__init__(
            f"Der Index in „{index_dir}“ konnte nicht geschrieben werden ({detail}). "
            "Der bisherige Index bleibt unverändert in Betrieb. Beheben Sie die Ursache und "
            "starten Sie den Ingest erneut."
        )


def os_error_reason(error: OSError) -> str:
    """What an OS error means, in German, with what to do where that is clear."""
    import errno

    reasons = {
        errno.ENOSPC: "kein Speicherplatz mehr auf dem Datenträger – schaffen Sie Platz",
        errno.EDQUOT: "das Speicherkontingent ist erschöpft – schaffen Sie Platz",
        errno.EFBIG: "die Datei wird zu groß für das Dateisystem oder die Prozessgrenze",
        errno.EACCES: "keine Berechtigung – prüfen Sie die Zugriffsrechte",
        errno.EPERM: "keine Berechtigung – prüfen Sie die Zugriffsrechte",
        errno.EROFS: "das Dateisystem ist schreibgeschützt",
        errno.EIO: "Schreib- oder Lesefehler – prüfen Sie freien Speicherplatz und Datenträger",
        errno.ENOENT: "nicht gefunden – wurde sie gerade verschoben oder gelöscht",
        errno.ELOOP: "Verknüpfung im Kreis",
        errno.EEXIST: "eine gleichnamige Datei ist im Weg",
        errno.ENOTDIR: "ein Teil des Pfads ist eine Datei, kein Ordner",
    }
    return reasons.get(error.errno or 0, f"Systemfehler: {error.strerror or error}")


class IngestLockedError(AssistantError):
    exit_code = 4

    def __init__(self, index_dir: Path, holder: str) -> None:
        super().__init__(
            f"In „{index_dir}“ läuft bereits ein anderer Ingest ({holder}). "
            "Warten Sie, bis er fertig ist, und starten Sie dann erneut."
        )


class LockLostError(AssistantError):
    """The ingest's lock is no longer the one on disk; it must not commit."""

    exit_code = 4

    def __init__(self, index_dir: Path) -> None:
        super().__init__(
            f"Der Index-Ordner „{index_dir}“ wurde während des Ingests ersetzt oder verschoben; "
            "die Ergebnisse dieses Laufs wurden verworfen, nichts wurde geschrieben. "
            "Starten Sie den Ingest erneut."
        )


class EmbeddingModelError(AssistantError):
    exit_code = 5


class ConfigurationError(AssistantError):
    exit_code = 2


class InputError(AssistantError):
    """A question or input file from the user is unusable."""

    exit_code = 2
