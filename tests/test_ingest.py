"""Incremental ingest on a real FAISS index: idempotence, updates, removal, duplicates, safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import pytest
from fakes import HashingEmbeddings

from assistant.errors import (
    DocumentNotIndexedError,
    IndexMissingError,
    IndexModelMismatchError,
    IngestLockedError,
)
from assistant.ingest import IngestReport, ingest, remove_document
from assistant.settings import Settings
from assistant.store.index_store import IndexSnapshot, IndexStore
from assistant.store.lexical import LexicalIndex
from assistant.store.locking import exclusive_lock

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]

TOPICS = {
    "2015-12-06_start.txt": (
        "Dresden, 6. Dezember 2015",
        "StrategieWerkstatt startet",
        "Die Geschäftsstelle nimmt im Januar 2016 ihre Arbeit auf.",
    ),
    "2017-03-07_konferenz.txt": (
        "Leipzig, 7. März 2017",
        "Strategiekonferenz in Leipzig",
        "Rund 200 Gäste diskutierten über Kreativwirtschaft.",
    ),
    "2018-11-13_abschluss.txt": (
        "Dresden, 13. November 2018",
        "StrategieWerkstatt schließt ab",
        "Die Handlungsempfehlungen gehen an die Staatsregierung.",
    ),
}


def _press_release(dateline: str, headline: str, fact: str, paragraphs: int = 3) -> str:
    body = "\n\n".join(
        f"{fact} Absatz {n} erläutert die Folgen für Unternehmen, Beschäftigte und Hochschulen "
        f"im Freistaat Sachsen und nennt weitere Termine der Werkstatt."
        for n in range(paragraphs)
    )
    return f"Medieninformation\n\n{dateline}\n\n{headline}\n\n{body}\n"


def _write_corpus(folder: Path, topics: dict[str, tuple[str, str, str]] = TOPICS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (dateline, headline, fact) in topics.items():
        (folder / name).write_text(_press_release(dateline, headline, fact), encoding="utf-8")
    return folder


def _index_state(index_dir: Path) -> tuple[str, list[str]]:
    """CURRENT and the folder names under versions/: what a write would change."""
    current = (index_dir / "CURRENT").read_text(encoding="utf-8")
    return current, sorted(path.name for path in (index_dir / "versions").iterdir())


def _all_text(snapshot: IndexSnapshot) -> str:
    return "\n".join(chunk.text for chunk in snapshot.chunks(range(snapshot.size)).values())


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _write_corpus(tmp_path / "corpus")


@pytest.fixture
def run(settings: Settings, fake_embeddings: HashingEmbeddings) -> Callable[..., IngestReport]:
    """Ingest with the fake embedder: ``run(paths..., dry_run=False, rebuild=False)``."""

    def _run(*paths: Path, dry_run: bool = False, rebuild: bool = False) -> IngestReport:
        return ingest(
            list(paths),
            settings,
            embeddings=fake_embeddings,
            dry_run=dry_run,
            rebuild=rebuild,
            quiet=True,
        )

    return _run


@pytest.fixture
def store(settings: Settings) -> IndexStore:
    return IndexStore(settings.index_dir)


def _open(store: IndexStore) -> IndexSnapshot:
    return store.open(HashingEmbeddings().model_id)


def test_first_ingest_indexes_everything(
    corpus: Path, run: Callable[..., IngestReport], store: IndexStore
) -> None:
    report = run(corpus)
    assert sorted(report.added) == sorted(TOPICS)
    assert report.chunks_embedded == report.chunks_total > 0
    snapshot = _open(store)
    try:
        assert snapshot.size == report.chunks_total
        record = snapshot.manifest.documents["2017-03-07_konferenz.txt"]
        assert (record.date, record.title) == ("2017-03-07", "Strategiekonferenz in Leipzig")
        assert record.chunk_count == snapshot.chunk_count("2017-03-07_konferenz.txt") > 0
    finally:
        snapshot.close()


def test_second_run_embeds_nothing_and_writes_no_version(
    corpus: Path,
    run: Callable[..., IngestReport],
    fake_embeddings: HashingEmbeddings,
    settings: Settings,
) -> None:
    run(corpus)
    before, embedded = _index_state(settings.index_dir), fake_embeddings.embedded

    report = run(corpus)

    assert report.chunks_embedded == 0 and fake_embeddings.embedded == embedded
    assert sorted(report.unchanged) == sorted(TOPICS)
    assert not (report.added or report.updated or report.removed) and report.version is None
    assert _index_state(settings.index_dir) == before


def test_changed_file_replaces_its_old_chunks(
    corpus: Path,
    run: Callable[..., IngestReport],
    store: IndexStore,
    fake_embeddings: HashingEmbeddings,
) -> None:
    run(corpus)
    embedded = fake_embeddings.embedded
    changed = corpus / "2017-03-07_konferenz.txt"
    text = _press_release(
        "Leipzig, 7. März 2017",
        "Strategiekonferenz in Leipzig",
        "Rund 350 Gäste kamen ins Congress Center.",
    )
    changed.write_text(text, encoding="utf-8")

    report = run(corpus)

    assert report.updated == ["2017-03-07_konferenz.txt"] and not report.added
    snapshot = _open(store)
    try:
        text = _all_text(snapshot)
        assert "Rund 350 Gäste" in text and "Rund 200 Gäste" not in text
        new_chunks = snapshot.chunk_count("2017-03-07_konferenz.txt")
        assert report.chunks_embedded == fake_embeddings.embedded - embedded == new_chunks
        assert snapshot.size == sum(r.chunk_count for r in snapshot.manifest.documents.values())
    finally:
        snapshot.close()


def test_deleted_file_is_removed_and_reported(
    corpus: Path, run: Callable[..., IngestReport], store: IndexStore
) -> None:
    run(corpus)
    (corpus / "2015-12-06_start.txt").unlink()

    report = run(corpus)

    assert report.removed == ["2015-12-06_start.txt"] and report.chunks_embedded == 0
    snapshot = _open(store)
    try:
        assert "2015-12-06_start.txt" not in snapshot.manifest.documents
        assert snapshot.rows_of("2015-12-06_start.txt") == []
        assert "Januar 2016" not in _all_text(snapshot)
        assert len(snapshot.manifest.documents) == 2
    finally:
        snapshot.close()


def test_remove_document_by_file_name(
    corpus: Path, run: Callable[..., IngestReport], store: IndexStore, settings: Settings
) -> None:
    run(corpus)

    removed = remove_document("2018-11-13_abschluss.txt", settings)

    assert removed.source == "2018-11-13_abschluss.txt" and removed.chunk_count > 0
    snapshot = _open(store)
    try:
        assert sorted(snapshot.manifest.documents) == sorted(TOPICS)[:2]
        assert "Handlungsempfehlungen" not in _all_text(snapshot)
        assert snapshot.size == snapshot.manifest.chunk_count
    finally:
        snapshot.close()
    assert (corpus / "2018-11-13_abschluss.txt").exists(), "the file itself stays"


def test_remove_document_errors_are_german(
    corpus: Path, run: Callable[..., IngestReport], settings: Settings
) -> None:
    with pytest.raises(IndexMissingError, match="Führen Sie zuerst `assistant ingest"):
        remove_document("fehlt.txt", settings)
    run(corpus)
    with pytest.raises(DocumentNotIndexedError) as caught:
        remove_document("fehlt.txt", settings)
    message = str(caught.value)
    assert "„fehlt.txt“ ist nicht im Index" in message and "assistant status" in message
    assert "2015-12-06_start.txt" in message


def _aliases(store: IndexStore) -> dict[str, list[str]]:
    snapshot = _open(store)
    try:
        assert snapshot.size == sum(r.chunk_count for r in snapshot.manifest.documents.values())
        return {source: record.aliases for source, record in snapshot.manifest.documents.items()}
    finally:
        snapshot.close()


def test_byte_and_text_identical_duplicates_are_stored_once(
    corpus: Path,
    run: Callable[..., IngestReport],
    store: IndexStore,
) -> None:
    original = corpus / "2017-03-07_konferenz.txt"
    (corpus / "kopie.txt").write_bytes(original.read_bytes())

    report = run(corpus)
    assert report.duplicates == [("kopie.txt", "2017-03-07_konferenz.txt")]
    assert _aliases(store)["2017-03-07_konferenz.txt"] == ["kopie.txt"]
    assert sorted(_aliases(store)) == sorted(TOPICS)

    # Added later, same text in other bytes: Windows-1252 with CRLF line ends.
    (corpus / "kopie-windows.txt").write_bytes(
        original.read_text(encoding="utf-8").replace("\n", "\r\n").encode("cp1252")
    )
    report = run(corpus)
    assert ("kopie-windows.txt", "2017-03-07_konferenz.txt") in report.duplicates
    assert report.chunks_embedded == 0
    assert _aliases(store)["2017-03-07_konferenz.txt"] == ["kopie-windows.txt", "kopie.txt"]

    (corpus / "kopie.txt").unlink()
    report = run(corpus)
    assert report.chunks_embedded == 0 and not report.removed
    assert _aliases(store)["2017-03-07_konferenz.txt"] == ["kopie-windows.txt"]


def test_dry_run_writes_nothing(
    corpus: Path,
    run: Callable[..., IngestReport],
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
) -> None:
    report = run(corpus, dry_run=True)
    assert report.dry_run and sorted(report.added) == sorted(TOPICS)
    assert not IndexStore(settings.index_dir).exists()
    assert not (settings.index_dir / "versions").exists() and fake_embeddings.embedded == 0

    run(corpus)
    before, embedded = _index_state(settings.index_dir), fake_embeddings.embedded
    (corpus / "2015-12-06_start.txt").unlink()
    _write_corpus(
        corpus,
        {
            "2019-12-02_neu.txt": (
                "Dresden, 2. Dezember 2019",
                "Neue Werkstatt",
                "Die ZukunftsWerkstatt beginnt.",
            )
        },
    )
    report = run(corpus, dry_run=True)
    assert report.added == ["2019-12-02_neu.txt"] and report.removed == ["2015-12-06_start.txt"]
    assert _index_state(settings.index_dir) == before and fake_embeddings.embedded == embedded


def _interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "target",
    [(faiss, "write_index"), (LexicalIndex, "save")],
    ids=["faiss.write_index", "LexicalIndex.save"],
)
def test_crash_while_writing_keeps_the_previous_version(
    target: tuple[object, str],
    corpus: Path,
    run: Callable[..., IngestReport],
    store: IndexStore,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(corpus)
    before = _index_state(settings.index_dir)
    _write_corpus(
        corpus,
        {
            "2019-12-02_neu.txt": (
                "Dresden, 2. Dezember 2019",
                "Neue Werkstatt",
                "Die ZukunftsWerkstatt beginnt.",
            )
        },
    )
    with monkeypatch.context() as patch:
        patch.setattr(*target, _interrupt)
        with pytest.raises(KeyboardInterrupt):
            run(corpus)

    assert _index_state(settings.index_dir) == before
    snapshot = _open(store)
    try:
        assert sorted(snapshot.manifest.documents) == sorted(TOPICS)
    finally:
        snapshot.close()

    report = run(corpus)
    assert report.added == ["2019-12-02_neu.txt"]
    assert len(_index_state(settings.index_dir)[1]) == 2, "new and previous version, no staging"


def test_next_ingest_cleans_up_after_a_hard_crash(
    corpus: Path,
    run: Callable[..., IngestReport],
    store: IndexStore,
    settings: Settings,
) -> None:
    run(corpus)
    versions = settings.index_dir / "versions"
    leftover = versions / ".staging-20000101T000000-dead00"
    leftover.mkdir()
    (leftover / "vectors.faiss").write_bytes(b"half written")
    (settings.index_dir / ".CURRENT.20000101T000000-dead00").write_text("x", encoding="utf-8")
    snapshot = _open(store)  # a reader does not trip over the leftovers
    snapshot.close()

    (corpus / "2015-12-06_start.txt").unlink()
    report = run(corpus)

    assert report.removed == ["2015-12-06_start.txt"]
    assert not leftover.exists()
    assert not list(settings.index_dir.glob(".CURRENT.*"))
    assert all(not path.name.startswith(".") for path in versions.iterdir())


def test_second_ingest_at_the_same_time_is_refused(
    corpus: Path, run: Callable[..., IngestReport], settings: Settings
) -> None:
    run(corpus)
    before = _index_state(settings.index_dir)
    with exclusive_lock(settings.index_dir):
        (corpus / "2015-12-06_start.txt").unlink()
        with pytest.raises(IngestLockedError) as caught:
            run(corpus)
        with pytest.raises(IngestLockedError):
            remove_document("2017-03-07_konferenz.txt", settings)
    message = str(caught.value)
    assert "läuft bereits ein anderer Ingest" in message and f"PID {os.getpid()}" in message
    assert _index_state(settings.index_dir) == before
    assert run(corpus).removed == ["2015-12-06_start.txt"], "the lock is released afterwards"


def test_index_of_another_model_is_refused_with_a_rebuild_hint(
    corpus: Path,
    run: Callable[..., IngestReport],
    settings: Settings,
    store: IndexStore,
) -> None:
    run(corpus)
    other = HashingEmbeddings(dimension=32)

    with pytest.raises(IndexModelMismatchError) as caught:
        ingest([corpus], settings, embeddings=other, quiet=True)
    message = str(caught.value)
    assert "fake:hash-64" in message and "fake:hash-32" in message
    assert "Bauen Sie den Index neu auf" in message and "assistant ingest --rebuild" in message
    with pytest.raises(IndexModelMismatchError):
        store.open(embedding_model=other.model_id)

    report = ingest([corpus], settings, embeddings=other, rebuild=True, quiet=True)
    assert sorted(report.added) == sorted(TOPICS)
    snapshot = store.open(other.model_id)
    try:
        assert snapshot.manifest.dimension == 32 and snapshot.vectors.d == 32
    finally:
        snapshot.close()


@pytest.mark.slow
def test_killed_cli_ingest_leaves_the_old_index_usable(tmp_path: Path, run_cli: RunCli) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _write_corpus(corpus, dict(list(TOPICS.items())[:1]))
    assert run_cli("ingest", str(corpus), "--index", str(index)).returncode == 0
    before = _index_state(index)
    _write_corpus(
        corpus,
        {
            f"2019-05-{n:02d}_meldung.txt": (
                "Dresden, 1. Mai 2019",
                f"Meldung Nummer {n}",
                f"Thema {n} betrifft die Werkstatt {n * 7}.",
            )
            for n in range(1, 21)
        },
    )
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "assistant", "ingest", str(corpus)),
                *("--index", str(index), "--no-copy"),  # never copy into the repository
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=Path(__file__).parents[1],
            env={k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if "Einbetten" in log.read_text():
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    snapshot = IndexStore(index).open()  # whatever the outcome, the live version is whole
    try:
        assert snapshot.size == snapshot.manifest.chunk_count
        if process.returncode == -signal.SIGKILL:
            assert _index_state(index)[0] == before[0]
            assert list(snapshot.manifest.documents) == list(TOPICS)[:1]
    finally:
        snapshot.close()

    rerun = run_cli("ingest", str(corpus), "--index", str(index))
    assert rerun.returncode == 0, rerun.stderr
    snapshot = IndexStore(index).open()
    try:
        assert len(snapshot.manifest.documents) == 21
        assert snapshot.size == snapshot.manifest.chunk_count
    finally:
        snapshot.close()
    assert all(not path.name.startswith(".") for path in (index / "versions").iterdir())
