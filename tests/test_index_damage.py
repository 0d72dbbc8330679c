"""A damaged index is noticed: typed German errors on open and query, ``status`` names the
damage and the repair, ``CURRENT`` problems fall back to the newest finished version."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import faiss
import numpy as np
import pytest
from fakes import HashingEmbeddings
from unprivileged import require_other_user, unprivileged

from assistant.cli import main
from assistant.errors import IndexDamagedError, InputError
from assistant.ingest import ingest
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store.index_store import IndexStore
from assistant.store.integrity import verify_version

TOPICS = {
    "2015-12-06_start.txt": "Die StrategieWerkstatt startet in Dresden",
    "2017-03-07_konferenz.txt": "Die Strategiekonferenz tagt in Leipzig",
    "2018-11-13_abschluss.txt": "Die Handlungsempfehlungen gehen an die Staatsregierung",
}
REPAIR = "assistant ingest --rebuild"


def _corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fact in TOPICS.items():
        body = "\n\n".join(
            f"{fact}. Absatz {n} nennt Folgen für Unternehmen und Hochschulen in Sachsen, "
            "dazu weitere Termine der Werkstatt und Ansprechpartner im Ministerium." * 3
            for n in range(4)
        )
        (folder / name).write_text(f"Medieninformation\n\n{fact}\n\n{body}\n", encoding="utf-8")
    return folder


@pytest.fixture
def live(tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings) -> Path:
    """The folder of the live version of a freshly ingested three-document index."""
    ingest([_corpus(tmp_path / "corpus")], settings, embeddings=fake_embeddings, quiet=True)
    store = IndexStore(settings.index_dir)
    version = store.current_version()
    assert version is not None
    return store.versions_dir / version


def _status(settings: Settings, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["status", "--index", str(settings.index_dir)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(live: Path) -> int:
    return int(json.loads((live / "manifest.json").read_text(encoding="utf-8"))["chunk_count"])


def _truncate_docstore(live: Path) -> None:
    path = live / "docstore.sqlite"
    path.write_bytes(path.read_bytes()[:1500])


def _scramble_docstore(live: Path) -> None:
    """Overwrite every page after the first two (the schema) with noise."""
    path = live / "docstore.sqlite"
    data = bytearray(path.read_bytes())
    noise = np.random.default_rng(3).integers(0, 256, len(data) - 8192, dtype=np.uint8)
    data[8192:] = noise.tobytes()
    path.write_bytes(bytes(data))


def _fewer_vectors(live: Path) -> None:
    index = faiss.read_index(str(live / "vectors.faiss"))
    vectors = index.reconstruct_n(0, index.ntotal - 1)
    shorter = faiss.IndexFlatIP(index.d)
    shorter.add(vectors)
    faiss.write_index(shorter, str(live / "vectors.faiss"))


def _other_dimension(live: Path) -> None:
    index = faiss.read_index(str(live / "vectors.faiss"))
    other = faiss.IndexFlatIP(32)
    other.add(np.ones((index.ntotal, 32), dtype=np.float32))
    faiss.write_index(other, str(live / "vectors.faiss"))


def _truncated_vectors(live: Path) -> None:
    path = live / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:200])


def _lexical_short(live: Path) -> None:
    path = live / "lexical" / "vocabulary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["size"] -= 1
    path.write_text(json.dumps(data), encoding="utf-8")


def _lexical_truncated(live: Path) -> None:
    path = live / "lexical" / "data.csc.index.npy"
    path.write_bytes(path.read_bytes()[:40])


DAMAGE = {
    "truncated docstore": (_truncate_docstore, "docstore.sqlite"),
    "fewer vectors than rows": (_fewer_vectors, "Vektoren"),
    "another dimension": (_other_dimension, "32 Dimensionen"),
    "truncated FAISS file": (_truncated_vectors, "vectors.faiss"),
    "lexical index too short": (_lexical_short, "Stichwortindex"),
    "lexical index truncated": (_lexical_truncated, "lexical"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damage_is_a_typed_german_error_on_open_and_in_status(
    case: str,
    live: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    damage, named = DAMAGE[case]
    assert verify_version(live) == []
    assert _status(settings, capsys)[0] == 0
    damage(live)

    with pytest.raises(IndexDamagedError) as caught:
        IndexStore(settings.index_dir).open()
    assert "beschädigt" in str(caught.value) and REPAIR in str(caught.value)
    assert named in str(caught.value), caught.value
    with pytest.raises(IndexDamagedError):
        Assistant(settings, fake_embeddings).ask("Wo startet die StrategieWerkstatt?")

    code, out, err = _status(settings, capsys)
    assert code == 3 and "Traceback" not in out + err
    assert err.startswith("Fehler: Der Index in") and named in err and REPAIR in err
    assert any(named in problem for problem in verify_version(live))


def test_corrupted_docstore_pages_are_found_by_status_and_on_query(
    live: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _scramble_docstore(live)

    problems = verify_version(live)
    assert problems and "docstore.sqlite ist beschädigt" in problems[0]
    code, _, err = _status(settings, capsys)
    assert code == 3 and "beschädigt" in err and REPAIR in err
    with pytest.raises(IndexDamagedError) as caught:  # on open or while reading passages
        snapshot = IndexStore(settings.index_dir).open()
        snapshot.stored()
    assert REPAIR in str(caught.value)


def test_rebuild_repairs_a_damaged_index(
    live: Path,
    tmp_path: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _truncate_docstore(live)
    with pytest.raises(IndexDamagedError):  # an incremental ingest cannot reuse it
        ingest([tmp_path / "corpus"], settings, embeddings=fake_embeddings, quiet=True)

    report = ingest([tmp_path / "corpus"], settings, embeddings=fake_embeddings, rebuild=True)
    assert sorted(report.added) == sorted(TOPICS)
    code, out, _ = _status(settings, capsys)
    assert code == 0 and "in Ordnung" in out and "Dokumente" in out


def test_current_naming_a_missing_version_falls_back_with_a_warning(
    live: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    (settings.index_dir / "CURRENT").write_text("20990101T000000-gibtsnicht", encoding="utf-8")

    with caplog.at_level(logging.WARNING):
        snapshot = IndexStore(settings.index_dir).open()
    try:
        assert snapshot.version == live.name and len(snapshot.manifest.documents) == 3
    finally:
        snapshot.close()
    assert "gibtsnicht" in caplog.text and live.name in caplog.text
    answer = Assistant(settings, fake_embeddings).ask("Wo tagt die Strategiekonferenz?")
    assert answer.passages, "the fallback version answers"
    code, out, err = _status(settings, capsys)
    assert code == 0 and "Warnung:" in err and "gibtsnicht" in err and live.name in out


def test_current_as_a_folder_neither_blocks_reading_nor_rebuild(
    live: Path,
    tmp_path: Path,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
) -> None:
    current = settings.index_dir / "CURRENT"
    current.unlink()
    current.mkdir()
    (current / "notiz.txt").write_text("von Hand angelegt", encoding="utf-8")

    snapshot = IndexStore(settings.index_dir).open()
    assert snapshot.version == live.name
    snapshot.close()
    report = ingest([tmp_path / "corpus"], settings, embeddings=fake_embeddings, rebuild=True)

    assert sorted(report.added) == sorted(TOPICS)
    assert current.is_file() and current.read_text(encoding="utf-8") == report.version
    kept_aside = [p for p in settings.index_dir.iterdir() if p.name.startswith("CURRENT-ordner-")]
    assert len(kept_aside) == 1 and (kept_aside[0] / "notiz.txt").is_file(), "nothing deleted"


def test_missing_version_and_no_other_still_says_no_index(
    live: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(settings.index_dir / "versions")
    code, _, err = _status(settings, capsys)
    assert code == 3 and "gibt es noch keinen Index" in err


def test_rows_of_another_document_count_as_damage(live: Path, settings: Settings) -> None:
    """The docstore lost one document's rows while the counts were patched to agree."""
    db = sqlite3.connect(live / "docstore.sqlite")
    db.execute("UPDATE chunks SET source = '2015-12-06_start.txt' WHERE source LIKE '2017%'")
    db.commit()
    db.close()
    problems = verify_version(live)
    assert len(problems) == 1 and "2017-03-07_konferenz.txt" in problems[0], problems
    assert _rows(live) > 0


@pytest.mark.parametrize(
    "question", [None, 42, "Wo startet die Werkstatt\ud83d?", "\udcff"], ids=repr
)
def test_unusable_questions_are_german_input_errors(
    question: object, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    with pytest.raises(InputError) as caught:
        Assistant(settings, fake_embeddings).validate(question)
    assert "Frage" in str(caught.value)


def _as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m assistant …`` as an unprivileged user (root may read and write anything)."""
    command = unprivileged([sys.executable, "-m", "assistant", *args])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment["ASSISTANT_COPY_INTO_CORPUS"] = "false"  # never copy into the repo's corpus/
    environment["PYTHONPATH"] = str(Path(__file__).parents[1])
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)


def test_an_index_this_user_may_not_read_or_write_is_named_not_called_missing(
    live: Path, settings: Settings, tmp_path: Path
) -> None:
    require_other_user()
    shared = Path(tempfile.mkdtemp(prefix="robust-access-"))
    try:
        shared.chmod(0o755)
        index = shared / "index"
        shutil.copytree(settings.index_dir, index)
        index.chmod(0o700)  # owned by root (or this user, then made unreadable below)
        if os.geteuid() != 0:
            index.chmod(0o000)

        status = _as_nobody("status", "--index", str(index))
        assert status.returncode == 3 and "Traceback" not in status.stderr
        assert "lässt sich nicht öffnen" in status.stderr and "keine Berechtigung" in status.stderr
        assert "noch keinen Index" not in status.stderr

        corpus = shared / "corpus"
        _corpus(corpus)
        ingest = _as_nobody("ingest", str(corpus), "--index", str(index / "neu"))
        assert ingest.returncode == 6 and "Traceback" not in ingest.stderr
        assert "konnte nicht geschrieben werden (keine Berechtigung" in ingest.stderr
    finally:
        (shared / "index").chmod(0o755)
        shutil.rmtree(shared, ignore_errors=True)
