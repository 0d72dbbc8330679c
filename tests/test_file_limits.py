"""Hostile and huge files are refused one by one, in German, within the per-file work limits;
the good files beside them are indexed and the run goes on."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import HashingEmbeddings

from assistant.ingest import IngestReport, ingest
from assistant.settings import Settings
from assistant.store.index_store import IndexStore

GOOD = (
    "Medieninformation\n\nDresden, 6. Mai 2019\n\nWerkstatt startet\n\n"
    "Die Staatsregierung stellt die Werkstatt vor. Unternehmen in Sachsen erhalten Beratung "
    "und Förderung für die Digitalisierung ihrer Fertigung.\n"
)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from raw object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, compressed: bool = True) -> bytes:
    head = b"<< /Length %d%s >>\nstream\n" % (len(data), b" /Filter /FlateDecode" * compressed)
    return head + data + b"\nendstream"


def _one_page_pdf(content: bytes) -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def _compressed(block: bytes, total: int) -> bytes:
    """``block`` repeated to ``total`` bytes, Flate-compressed piece by piece."""
    packer = zlib.compressobj(9)
    pieces = [packer.compress(block * (1_000_000 // len(block))) for _ in range(total // 1_000_000)]
    return b"".join(pieces) + packer.flush()


def flate_bomb(path: Path) -> None:
    """About 200 KB that unpacks to 200 MB, beyond pypdf's decompression limit."""
    path.write_bytes(_one_page_pdf(_compressed(b" " * 1000, 200_000_000)))


def huge_page_stream(path: Path) -> None:
    """One page whose content stream unpacks to 60 MB of text operators (below pypdf's
    limit): only the time limit stops it."""
    path.write_bytes(
        _one_page_pdf(_compressed(b"BT /F1 9 Tf 50 700 Td (Sachsen) Tj ET\n", 60_000_000))
    )


def page_tree(count: int, declared: int) -> Callable[[Path], None]:
    """A page tree of ``count`` pages (one page object referenced ``count`` times)."""

    def write(path: Path) -> None:
        kids = b"[" + b"3 0 R " * count + b"]"
        path.write_bytes(
            _pdf(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids " + kids + b" /Count %d >>" % declared,
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                    b"/Resources << /Font << /F1 5 0 R >> >> >>",
                    _stream(zlib.compress(b"BT /F1 9 Tf 50 700 Td (Seite) Tj ET")),
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                ]
            )
        )

    return write


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "werkstatt.txt").write_text(GOOD, encoding="utf-8")
    return folder


@pytest.fixture
def run(settings: Settings, fake_embeddings: HashingEmbeddings) -> Callable[..., IngestReport]:
    def _run(folder: Path, **limits: float) -> IngestReport:
        limited = settings.with_overrides(**limits)
        return ingest([folder], limited, embeddings=fake_embeddings, quiet=True)

    return _run


CASES: dict[str, tuple[Callable[[Path], None], dict[str, float], tuple[str, ...]]] = {
    "Flate bomb": (flate_bomb, {}, ("Sicherheitsgrenze", "PDF-Bombe")),
    "60 MB page stream": (
        huge_page_stream,
        {"max_file_seconds": 2},
        ("länger als 2 Sekunden", "ASSISTANT_MAX_FILE_SECONDS"),
    ),
    "200,000 pages": (page_tree(200_000, 200_000), {}, ("Sicherheitsgrenze",)),
    "200,000 pages, /Count lies": (page_tree(200_000, 1), {}, ("Sicherheitsgrenze",)),
    "3,000 pages": (
        page_tree(3000, 3000),
        {},
        ("3.000 Seiten", "höchstens 2.000", "ASSISTANT_MAX_FILE_PAGES"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pdf_bombs_are_refused_and_the_rest_is_indexed(
    case: str, corpus: Path, run: Callable[..., IngestReport], settings: Settings
) -> None:
    write, limits, keywords = CASES[case]
    write(corpus / "bombe.pdf")

    started = time.monotonic()
    report = run(corpus, **limits)
    elapsed = time.monotonic() - started

    assert [name for name, _ in report.failed] == ["bombe.pdf"]
    reason = report.failed[0][1]
    assert all(keyword in reason for keyword in keywords), reason
    assert report.added == ["werkstatt.txt"]
    assert elapsed < 20, f"{case} took {elapsed:.1f} s"
    snapshot = IndexStore(settings.index_dir).open()
    try:
        assert list(snapshot.manifest.documents) == ["werkstatt.txt"]
    finally:
        snapshot.close()


def test_text_beyond_the_character_limit_is_refused(
    corpus: Path, run: Callable[..., IngestReport]
) -> None:
    (corpus / "lang.txt").write_text(GOOD * 100, encoding="utf-8")
    report = run(corpus, max_file_chars=10_000)
    assert [name for name, _ in report.failed] == ["lang.txt"]
    reason = report.failed[0][1]
    assert "Zeichen Text, erlaubt sind höchstens 10.000" in reason
    assert "ASSISTANT_MAX_FILE_CHARS" in reason and "Teilen Sie sie auf" in reason
    assert report.added == ["werkstatt.txt"]


def test_a_file_with_too_many_chunks_is_refused(
    corpus: Path, run: Callable[..., IngestReport]
) -> None:
    (corpus / "viele.txt").write_text("\n\n".join([GOOD] * 20), encoding="utf-8")
    report = run(corpus, max_file_chunks=3)
    assert [name for name, _ in report.failed] == ["viele.txt"]
    assert (
        "Abschnitte, erlaubt sind höchstens 3 (Einstellung ASSISTANT_MAX_FILE_CHUNKS)"
        in (report.failed[0][1])
    )


def test_a_file_that_grew_past_a_limit_keeps_its_indexed_version(
    corpus: Path, run: Callable[..., IngestReport], settings: Settings
) -> None:
    run(corpus)
    (corpus / "werkstatt.txt").write_text(GOOD * 100, encoding="utf-8")
    report = run(corpus, max_file_chars=10_000)
    assert [name for name, _ in report.failed] == ["werkstatt.txt"] and not report.removed
    snapshot = IndexStore(settings.index_dir).open()
    try:
        assert snapshot.chunk_count("werkstatt.txt") > 0
    finally:
        snapshot.close()


def test_an_unexpected_loader_error_is_reported_for_that_file_only(
    corpus: Path, run: Callable[..., IngestReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last per-file barrier: a loader bug on one odd file does not stop the run."""
    import assistant.ingest_file

    real = assistant.ingest_file.load_document

    def failing(path: Path, source: str, max_bytes: int) -> object:
        if path.name == "seltsam.txt":
            raise IndexError("list index out of range")
        return real(path, source, max_bytes)

    monkeypatch.setattr(assistant.ingest_file, "load_document", failing)
    (corpus / "seltsam.txt").write_text(GOOD.replace("Werkstatt", "Seltsam"), encoding="utf-8")
    report = run(corpus)
    assert report.failed == [
        (
            "seltsam.txt",
            "Die Datei lässt sich nicht verarbeiten (IndexError: list index out of range). "
            "Prüfen Sie sie oder melden Sie den Fehler mit dieser Datei.",
        )
    ]
    assert report.added == ["werkstatt.txt"]


def test_limits_are_settings_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_MAX_FILE_SECONDS", "7.5")
    configured = Settings()
    assert configured.max_file_seconds == 7.5
    assert (configured.max_file_chars, configured.max_file_pages, configured.max_file_chunks) == (
        2_000_000,
        2000,
        4000,
    )


def test_the_first_start_of_the_app_survives_a_bomb_in_the_corpus(
    corpus: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    from assistant.service import Assistant
    from assistant.ui import prepare_index

    flate_bomb(corpus / "bombe.pdf")
    info = prepare_index(Assistant(settings, fake_embeddings))
    assert info.documents == 1


@pytest.mark.slow
def test_cli_names_each_hostile_file_in_german_and_indexes_the_rest(
    corpus: Path, tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    flate_bomb(corpus / "bombe.pdf")
    with open(os.fsencode(corpus) + b"/M\xe4rz.txt", "wb") as file:
        file.write(GOOD.replace("Werkstatt", "Konferenz").encode())
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    index = tmp_path / "index"

    done = run_cli("ingest", str(corpus), "--index", str(index))

    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    errors = done.stderr.splitlines()
    assert any(line.startswith("FEHLER bombe.pdf: ") and "PDF-Bombe" in line for line in errors)
    assert any(line.startswith("FEHLER passwd.txt: ") and "Verknüpfung" in line for line in errors)
    assert "2 Datei(en) konnten nicht eingelesen werden" in done.stderr
    assert "Neu: M\\xe4rz.txt" in done.stdout and "Neu: werkstatt.txt" in done.stdout
    status = run_cli("status", "--index", str(index))
    assert status.returncode == 0 and "in Ordnung" in status.stdout
    assert "M\\xe4rz.txt" in status.stdout


def test_the_time_limit_holds_outside_the_main_thread_too(
    tmp_path: Path, settings: Settings
) -> None:
    """No timer signal can reach other threads (a server's workers): the elapsed time is
    checked when the file is done."""
    from dataclasses import replace

    from assistant.errors import DocumentError
    from assistant.ingest_file import WorkLimits, read_and_chunk

    path = tmp_path / "lang.txt"
    path.write_text(GOOD * 50, encoding="utf-8")
    limits = replace(WorkLimits.of(settings), max_seconds=1e-6)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_and_chunk(path, "lang.txt", limits, settings.chunk_size, settings.chunk_overlap)
        except DocumentError as error:
            outcome.append(error)

    worker = threading.Thread(target=read)
    worker.start()
    worker.join(30)
    assert len(outcome) == 1 and "länger als 1e-06 Sekunden" in str(outcome[0])
