"""A write that fails (disk full, file size limit) gives one German line; the previous index
stays live and no half-written version is left behind. Real OS failures, no mocks."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashingEmbeddings

import assistant.ingest
from assistant.cli import main
from assistant.errors import IndexWriteError
from assistant.ingest import ingest
from assistant.settings import Settings
from assistant.store.index_store import IndexStore

REPO_DIR = Path(__file__).parents[1]


def _release(number: int) -> str:
    return (
        f"Medieninformation\n\nDresden, {number % 28 + 1}. Mai 2019\n\nMeldung {number}\n\n"
        f"Die Staatsregierung stellt Vorhaben {number} vor. Unternehmen in Sachsen erhalten "
        f"Beratung zu Thema {number * 7} und Förderung für die Digitalisierung.\n"
    )


def _big_release() -> str:
    """About 300 chunks: more than the small file system below can hold."""
    return "\n\n".join(
        f"Absatz {n}: Die Werkstatt {n} berät Betriebe in Region {n % 13} zu Projekt {n * 31}. "
        + "Sie fördert Kooperationen, Qualifizierung und Investitionen im Freistaat. " * 9
        for n in range(300)
    )


def _corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(3):
        (folder / f"meldung-{number}.txt").write_text(_release(number), encoding="utf-8")
    return folder


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 kB tmpfs mounted for the test (needs root; skipped where mounting is not allowed)."""
    mount_point = tmp_path / "klein"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_full_keeps_the_previous_version_live(
    small_disk: Path,
    tmp_path: Path,
    fake_embeddings: HashingEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    index = small_disk / "index"
    settings = Settings(index_dir=index, embedding_model=fake_embeddings.model_id)
    first = ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    assert len(first.added) == 3
    (corpus / "gross.txt").write_text(_big_release(), encoding="utf-8")

    with pytest.raises(IndexWriteError) as caught:
        ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    message = str(caught.value)
    assert "kein Speicherplatz mehr" in message and "bisherige Index bleibt" in message

    monkeypatch.setattr(assistant.ingest, "load_embeddings", lambda name: fake_embeddings)
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", fake_embeddings.model_id)
    code = main(["ingest", str(corpus), "--index", str(index), "--quiet"])
    err = capsys.readouterr().err
    assert code == 6 and "Traceback" not in err
    assert err.startswith("Fehler: Der Index in") and "kein Speicherplatz mehr" in err

    assert IndexStore(index).current_version() == first.version
    snapshot = IndexStore(index).open()
    try:
        assert sorted(snapshot.manifest.documents) == [f"meldung-{n}.txt" for n in range(3)]
    finally:
        snapshot.close()
    assert [p.name for p in (index / "versions").iterdir()] == [first.version], "no leftovers"


_SCRIPT = """
import json, sys
from pathlib import Path
from fakes import HashingEmbeddings
from assistant.errors import AssistantError
from assistant.ingest import ingest
from assistant.settings import Settings
settings = Settings(index_dir=Path(sys.argv[2]), embedding_model="fake:hash-64")
try:
    ingest([Path(sys.argv[1])], settings, embeddings=HashingEmbeddings(), quiet=True)
    print(json.dumps({"error": None}))
except AssistantError as error:
    print(json.dumps({"error": str(error), "type": type(error).__name__}))
"""


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_a_write_beyond_the_file_size_limit_keeps_the_previous_version(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    """Runs everywhere (no root needed): the kernel refuses writes past RLIMIT_FSIZE."""
    corpus = _corpus(tmp_path / "corpus")
    first = ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    (corpus / "gross.txt").write_text(_big_release(), encoding="utf-8")

    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment["ASSISTANT_COPY_INTO_CORPUS"] = "false"  # never copy into the repo's corpus/
    environment["PYTHONPATH"] = f"{REPO_DIR}{os.pathsep}{REPO_DIR / 'tests'}"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(corpus), str(settings.index_dir)],
        capture_output=True,
        text=True,
        env=environment,
        preexec_fn=_limit_file_size,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["type"] == "IndexWriteError", outcome
    message = outcome["error"]
    assert "konnte nicht geschrieben werden" in message and "bisherige Index bleibt" in message
    # FAISS names the OS error; SQLite only says "disk I/O error"
    assert "zu groß" in message or "prüfen Sie freien Speicherplatz" in message, message
    assert IndexStore(settings.index_dir).current_version() == first.version
    versions = [p.name for p in (settings.index_dir / "versions").iterdir()]
    assert versions == [first.version], "no half-written version left behind"


def test_an_index_path_that_is_a_file_is_one_german_line(
    tmp_path: Path, fake_embeddings: HashingEmbeddings
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    index.write_text("kein Ordner", encoding="utf-8")
    settings = Settings(index_dir=index, embedding_model=fake_embeddings.model_id)
    with pytest.raises(IndexWriteError) as caught:
        ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    assert "eine gleichnamige Datei ist im Weg" in str(caught.value)
    assert index.read_text(encoding="utf-8") == "kein Ordner", "the file is left alone"
