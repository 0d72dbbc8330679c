"""The ingest lock is held by the OS on the index folder: deleting files cannot bypass it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fakes import HashingEmbeddings

from assistant.errors import IngestLockedError, LockLostError
from assistant.ingest import IngestReport, ingest
from assistant.settings import Settings
from assistant.store.index_store import IndexStore
from assistant.store.locking import INGEST_INFO

RELEASE = (
    "Medieninformation\n\nDresden, {day}. Mai 2019\n\n{title}\n\n"
    "Die Staatsregierung stellt {title} vor. Unternehmen in Sachsen erhalten Beratung.\n"
)


class PausingEmbeddings(HashingEmbeddings):
    """Embeds like the fake, but waits at the first batch until released."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        assert self.release.wait(30), "test never released the embedder"
        return super().embed_passages(texts)


class PausedIngest:
    """An ingest of ``folder`` in a thread, paused while embedding until :meth:`finish`."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.embeddings = PausingEmbeddings()
        self._outcome: list[IngestReport | BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(folder, settings), daemon=True)
        self._thread.start()
        assert self.embeddings.started.wait(30)

    def _run(self, folder: Path, settings: Settings) -> None:
        try:
            self._outcome.append(ingest([folder], settings, embeddings=self.embeddings, quiet=True))
        except BaseException as error:  # handed to the test thread
            self._outcome.append(error)

    def finish(self) -> IngestReport | BaseException:
        """Let the ingest go on; its report or the error it raised."""
        self.embeddings.release.set()
        self._thread.join(30)
        return self._outcome[0]


def _write(folder: Path, name: str, day: int, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(RELEASE.format(day=day, title=title), encoding="utf-8")


@pytest.fixture
def paused_ingest(tmp_path: Path, settings: Settings) -> Iterator[PausedIngest]:
    _write(tmp_path / "corpus", "erste.txt", 1, "die Werkstatt Eins")
    running = PausedIngest(tmp_path / "corpus", settings)
    yield running
    running.finish()


def test_deleting_the_info_file_does_not_release_the_lock(
    tmp_path: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
    paused_ingest: PausedIngest,
) -> None:
    info = settings.index_dir / INGEST_INFO
    text = info.read_text(encoding="utf-8")
    assert "Löschen dieser Datei hebt sie nicht auf" in text and "PID " in text
    info.unlink()
    (settings.index_dir / ".lock").unlink(missing_ok=True)  # the old lock file's name, too
    _write(tmp_path / "other", "zweite.txt", 2, "die Werkstatt Zwei")

    with pytest.raises(IngestLockedError) as refused:
        ingest([tmp_path / "other"], settings, embeddings=fake_embeddings, quiet=True)
    assert "läuft bereits ein anderer Ingest" in str(refused.value)

    first = paused_ingest.finish()
    assert isinstance(first, IngestReport) and first.added == ["erste.txt"]
    assert not info.exists(), "the info file goes with the lock"
    report = ingest([tmp_path / "other"], settings, embeddings=fake_embeddings, quiet=True)
    assert report.added == ["zweite.txt"], "the lock is free once the first ingest finished"
    snapshot = IndexStore(settings.index_dir).open()
    try:
        assert sorted(snapshot.manifest.documents) == ["erste.txt", "zweite.txt"]
    finally:
        snapshot.close()


def test_an_ingest_whose_index_folder_was_replaced_does_not_commit(
    tmp_path: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
    paused_ingest: PausedIngest,
) -> None:
    """Someone moves index/ away mid-run and a second ingest builds a new one there: the first
    must fail before its commit instead of overwriting the second one's work."""
    shutil.move(settings.index_dir, tmp_path / "index-alt")
    _write(tmp_path / "other", "zweite.txt", 2, "die Werkstatt Zwei")
    second = ingest([tmp_path / "other"], settings, embeddings=fake_embeddings, quiet=True)
    assert second.added == ["zweite.txt"]
    live = IndexStore(settings.index_dir).current_version()

    first = paused_ingest.finish()
    assert isinstance(first, LockLostError), first
    assert "ersetzt oder verschoben" in str(first) and "nichts wurde geschrieben" in str(first)
    assert IndexStore(settings.index_dir).current_version() == live
    snapshot = IndexStore(settings.index_dir).open()
    try:
        assert sorted(snapshot.manifest.documents) == ["zweite.txt"]
    finally:
        snapshot.close()
    staging = [
        p.name for p in (settings.index_dir / "versions").iterdir() if p.name.startswith(".")
    ]
    assert staging == [], "the refused commit leaves nothing behind"
