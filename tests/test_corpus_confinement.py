"""Ingest reads only what lies in the corpus folder: no links out of it, no hidden files, no
pipes; names that are not UTF-8 are stored; unreadable folders keep their documents."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes import HashingEmbeddings
from unprivileged import unprivileged

from assistant.ingest import IngestReport, ingest
from assistant.settings import Settings
from assistant.store.index_store import IndexSnapshot, IndexStore

REPO_DIR = Path(__file__).parents[1]
SECRET = "Geheimes Passwort des Servers: hunter2 und weitere vertrauliche Angaben zur Anlage."


def _release(title: str) -> str:
    return (
        f"Medieninformation\n\nDresden, 6. Mai 2019\n\n{title}\n\n"
        f"Die Staatsregierung stellt {title} vor. Unternehmen in Sachsen erhalten Beratung "
        "und Förderung für die Digitalisierung ihrer Fertigung.\n"
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "werkstatt.txt").write_text(_release("die Werkstatt"), encoding="utf-8")
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the corpus that must never be indexed (like /etc/passwd)."""
    secret = tmp_path / "geheim" / "passwort.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    return secret


@pytest.fixture
def run(settings: Settings, fake_embeddings: HashingEmbeddings) -> Callable[[Path], IngestReport]:
    return lambda folder: ingest([folder], settings, embeddings=fake_embeddings, quiet=True)


@pytest.fixture
def live(settings: Settings) -> Iterator[Callable[[], IndexSnapshot]]:
    opened: list[IndexSnapshot] = []

    def open_live() -> IndexSnapshot:
        opened.append(IndexStore(settings.index_dir).open())
        return opened[-1]

    yield open_live
    for snapshot in opened:
        snapshot.close()


def _text(snapshot: IndexSnapshot) -> str:
    return "\n".join(chunk.text for chunk in snapshot.chunks(range(snapshot.size)).values())


def test_links_out_of_the_corpus_are_refused_with_a_german_reason(
    corpus: Path,
    outside: Path,
    run: Callable[[Path], IngestReport],
    live: Callable[[], IndexSnapshot],
) -> None:
    (corpus / "passwd.txt").symlink_to(outside)
    (corpus / "status.txt").symlink_to("/proc/self/status")
    (corpus / "ordner").symlink_to(outside.parent, target_is_directory=True)
    (corpus / "kaputt.txt").symlink_to(corpus / "gibt-es-nicht.txt")

    report = run(corpus)

    failed = dict(report.failed)
    assert sorted(failed) == ["kaputt.txt", "ordner", "passwd.txt", "status.txt"]
    assert "Verknüpfung" in failed["passwd.txt"] and "Sicherheitsgründen" in failed["passwd.txt"]
    assert str(outside) in failed["passwd.txt"] and "Kopieren Sie" in failed["passwd.txt"]
    assert "Ordner außerhalb" in failed["ordner"]
    assert report.added == ["werkstatt.txt"]
    snapshot = live()
    assert list(snapshot.manifest.documents) == ["werkstatt.txt"]
    assert "hunter2" not in _text(snapshot) and "VmRSS" not in _text(snapshot)


def test_a_link_to_a_hidden_file_is_refused_and_one_inside_is_a_duplicate(
    corpus: Path, run: Callable[[Path], IngestReport], live: Callable[[], IndexSnapshot]
) -> None:
    hidden = corpus / ".entwurf"
    hidden.mkdir()
    (hidden / "intern.txt").write_text(SECRET, encoding="utf-8")
    (corpus / "intern.txt").symlink_to(hidden / "intern.txt")
    (corpus / ".notiz.txt").write_text(SECRET, encoding="utf-8")
    (corpus / "auch-werkstatt.txt").symlink_to("werkstatt.txt")

    report = run(corpus)

    assert [name for name, _ in report.failed] == ["intern.txt"]
    assert "keine sichtbare Datei" in report.failed[0][1]
    assert report.added == ["werkstatt.txt"]
    assert report.duplicates == [("auch-werkstatt.txt", "werkstatt.txt")]
    assert "hunter2" not in _text(live())


def test_a_document_replaced_by_a_link_out_of_the_corpus_is_removed_not_kept(
    corpus: Path,
    outside: Path,
    run: Callable[[Path], IngestReport],
    live: Callable[[], IndexSnapshot],
) -> None:
    (corpus / "verweis.txt").write_text(_release("den Verweis"), encoding="utf-8")
    assert run(corpus).added == ["verweis.txt", "werkstatt.txt"]
    (corpus / "verweis.txt").unlink()
    (corpus / "verweis.txt").symlink_to(outside)

    report = run(corpus)

    assert [name for name, _ in report.failed] == ["verweis.txt"]
    assert report.removed == ["verweis.txt"], "a refused link must not keep the old version"
    snapshot = live()
    assert list(snapshot.manifest.documents) == ["werkstatt.txt"]
    assert "hunter2" not in _text(snapshot)


def test_a_file_and_its_link_go_when_both_are_deleted(
    corpus: Path, run: Callable[[Path], IngestReport], live: Callable[[], IndexSnapshot]
) -> None:
    (corpus / "eigen.txt").write_text(_release("das Eigene"), encoding="utf-8")
    (corpus / "a-link.txt").symlink_to("eigen.txt")
    first = run(corpus)
    assert first.duplicates == [("a-link.txt", "eigen.txt")], "the file, not the link, is stored"
    (corpus / "a-link.txt").unlink()
    assert run(corpus).removed == []
    assert live().manifest.documents["eigen.txt"].aliases == [], "the link's alias is gone"
    (corpus / "eigen.txt").unlink()
    assert run(corpus).removed == ["eigen.txt"]


def test_a_pipe_in_the_corpus_is_reported_not_read(
    corpus: Path, run: Callable[[Path], IngestReport]
) -> None:
    os.mkfifo(corpus / "warteschlange.txt")  # reading it would block the ingest forever
    report = run(corpus)
    assert [name for name, _ in report.failed] == ["warteschlange.txt"]
    assert "Keine gewöhnliche Datei" in report.failed[0][1]
    assert report.added == ["werkstatt.txt"]


def test_file_names_that_are_not_utf8_are_stored_and_shown_escaped(
    corpus: Path, run: Callable[[Path], IngestReport], live: Callable[[], IndexSnapshot]
) -> None:
    raw = os.fsencode(corpus) + b"/Pressemitteilung M\xe4rz.txt"  # Latin-1 "ä"
    with open(raw, "wb") as file:
        file.write(_release("den Maerz-Bericht").encode())

    report = run(corpus)

    assert report.added == ["Pressemitteilung M\\xe4rz.txt", "werkstatt.txt"]
    snapshot = live()
    record = snapshot.manifest.documents["Pressemitteilung M\\xe4rz.txt"]
    assert os.fsencode(record.path) == raw, "the real name is kept to find the file again"
    assert snapshot.chunk_count("Pressemitteilung M\\xe4rz.txt") > 0
    assert "Maerz-Bericht" in _text(snapshot)
    assert run(corpus).unchanged == ["Pressemitteilung M\\xe4rz.txt", "werkstatt.txt"]
    os.unlink(raw)
    assert run(corpus).removed == ["Pressemitteilung M\\xe4rz.txt"]


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder outside pytest's private tmp tree, so another user can reach it."""
    folder = Path(tempfile.mkdtemp(prefix="robust-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _ingest_as_unprivileged_user(corpus: Path, index: Path) -> dict[str, list[object]]:
    """Run ingest in a subprocess as ``nobody`` (root reads every folder, so it cannot test
    permissions); as a normal user, run it as that user."""
    script = (
        "import json, sys; from pathlib import Path; from fakes import HashingEmbeddings;"
        "from assistant.ingest import ingest; from assistant.settings import Settings;"
        "s = Settings(index_dir=Path(sys.argv[2]), embedding_model='fake:hash-64');"
        "r = ingest([Path(sys.argv[1])], s, embeddings=HashingEmbeddings(), quiet=True);"
        "print(json.dumps({'failed': r.failed, 'removed': r.removed, 'added': r.added}))"
    )
    command = unprivileged([sys.executable, "-c", script, str(corpus), str(index)])
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "nobody:nogroup", str(corpus.parent)], check=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment["ASSISTANT_COPY_INTO_CORPUS"] = "false"  # never copy into the repo's corpus/
    environment["PYTHONPATH"] = f"{REPO_DIR}{os.pathsep}{REPO_DIR / 'tests'}"
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, list[object]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_an_unreadable_folder_is_an_error_and_keeps_its_documents(
    shared_dir: Path, fake_embeddings: HashingEmbeddings
) -> None:
    corpus, index = shared_dir / "corpus", shared_dir / "index"
    (corpus / "2019").mkdir(parents=True)
    (corpus / "werkstatt.txt").write_text(_release("die Werkstatt"), encoding="utf-8")
    (corpus / "2019" / "konferenz.txt").write_text(_release("die Konferenz"), encoding="utf-8")
    (corpus / "2019" / "abschluss.txt").write_text(_release("den Abschluss"), encoding="utf-8")
    settings = Settings(index_dir=index, embedding_model=fake_embeddings.model_id)
    assert len(ingest([corpus], settings, embeddings=fake_embeddings, quiet=True).added) == 3
    before = IndexStore(index).current_version()

    (corpus / "2019").chmod(0o000)
    (corpus / "werkstatt.txt").write_text(_release("die neue Werkstatt"), encoding="utf-8")
    (corpus / "werkstatt.txt").chmod(0o000)  # changed, but unreadable: the old version stays
    try:
        result = _ingest_as_unprivileged_user(corpus, index)
    finally:
        (corpus / "2019").chmod(0o755)

    assert result["removed"] == [] and result["added"] == []
    failed = dict(result["failed"])  # type: ignore[arg-type]
    assert sorted(failed) == ["2019/", "werkstatt.txt"]
    assert "Der Ordner lässt sich nicht lesen" in failed["2019/"]
    assert "Berechtigung" in failed["2019/"]
    assert "bleiben unverändert im Index" in failed["2019/"]
    assert "Die Datei lässt sich nicht lesen (keine Berechtigung" in failed["werkstatt.txt"]
    assert IndexStore(index).current_version() == before, "nothing changed, nothing written"
    snapshot = IndexStore(index).open()
    try:
        assert sorted(snapshot.manifest.documents) == [
            "2019/abschluss.txt",
            "2019/konferenz.txt",
            "werkstatt.txt",
        ]
    finally:
        snapshot.close()
