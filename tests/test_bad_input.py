"""Bad files are reported one by one in German; good files still go in; the index stays intact."""

from __future__ import annotations

import io
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from fakes import HashingEmbeddings
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from assistant.ingest import ingest
from assistant.settings import Settings
from assistant.store.index_store import IndexStore

PRESS_RELEASE = (
    "Medieninformation\n\nDresden, 6. Dezember 2015\n\n"
    "Wirtschaftsministerium startet StrategieWerkstatt\n\n"
    "Die StrategieWerkstatt: Industrie der ZUKUNFT nimmt im Januar 2016 ihre Arbeit auf. "
    "Die Geschäftsstelle in Dresden begleitet Unternehmen bei der Digitalisierung.\n"
)
NEW_RELEASE = (
    "Medieninformation\n\nLeipzig, 7. März 2017\n\nStrategiekonferenz in Leipzig\n\n"
    "Rund 200 Gäste diskutierten über die Zukunft der Industrie in Sachsen und über "
    "Kooperationen mit der Kultur- und Kreativwirtschaft.\n"
)

MakePdf = Callable[..., Path]
RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
BadFile = Callable[[Path, MakePdf], None]


def _good_pdf(path: Path, make_pdf: MakePdf) -> Path:
    return make_pdf(
        path,
        [
            [
                "Die StrategieWerkstatt startet in Dresden.",
                "Sie berät die Industrie in Sachsen bei der Digitalisierung.",
            ]
        ],
    )


def _empty(path: Path, make_pdf: MakePdf) -> None:
    path.write_bytes(b"")


def _text_named_pdf(path: Path, make_pdf: MakePdf) -> None:
    path.write_text("Das ist eine Textdatei, die nur wie ein PDF heißt.", encoding="utf-8")


def _truncated_pdf(path: Path, make_pdf: MakePdf) -> None:
    data = _good_pdf(path, make_pdf).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _encrypted_pdf(path: Path, make_pdf: MakePdf) -> None:
    writer = pypdf.PdfWriter(clone_from=_good_pdf(path, make_pdf))
    writer.encrypt("geheim", algorithm="AES-256")
    writer.write(path)


def _scanned_pdf(path: Path, make_pdf: MakePdf) -> None:
    """A page with only drawn shapes and an image: no text layer."""
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(image, format="PNG")
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 200, fill=1)
    pdf.circle(300, 500, 50)
    pdf.drawImage(ImageReader(io.BytesIO(image.getvalue())), 100, 600, width=200, height=100)
    pdf.showPage()
    pdf.save()


def _binary_text(path: Path, make_pdf: MakePdf) -> None:
    generator = random.Random(7)
    path.write_bytes(bytes(generator.randrange(256) for _ in range(4000)))


def _undecodable_text(path: Path, make_pdf: MakePdf) -> None:
    """High bytes without NUL: no encoding turns them into readable text."""
    generator = random.Random(11)
    path.write_bytes(bytes(generator.randrange(128, 256) for _ in range(4000)))


def _too_large(path: Path, make_pdf: MakePdf) -> None:
    path.write_text(PRESS_RELEASE * 200, encoding="utf-8")


CASES: dict[str, tuple[str, BadFile, tuple[str, ...]]] = {
    "empty": ("leer.txt", _empty, ("leer",)),
    "text named .pdf": ("kein-pdf.pdf", _text_named_pdf, ("keine PDF", "Endung")),
    "truncated PDF": ("abgeschnitten.pdf", _truncated_pdf, ("unvollständig", "erneut")),
    "password": ("geheim.pdf", _encrypted_pdf, ("passwortgeschützt", "ohne Passwort")),
    "no text layer": ("scan.pdf", _scanned_pdf, ("keinen Text", "OCR")),
    "binary .txt": ("binaer.txt", _binary_text, ("keine Textdatei", "Binärdaten")),
    "undecodable .txt": ("kodierung.txt", _undecodable_text, ("Zeichenkodierung", "UTF-8")),
    "too large": ("riesig.txt", _too_large, ("MB", "höchstens", "ASSISTANT_MAX_FILE_MB")),
}


@pytest.fixture
def small_settings(settings: Settings) -> Settings:
    """A 20 kB file limit: the good test files pass, the 'too large' one does not."""
    return settings.with_overrides(max_file_mb=0.02)


@pytest.fixture
def indexed_corpus(
    tmp_path: Path, small_settings: Settings, fake_embeddings: HashingEmbeddings, make_pdf: MakePdf
) -> Path:
    """A corpus of two good files, already ingested."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "startet.txt").write_text(PRESS_RELEASE, encoding="utf-8")
    _good_pdf(corpus / "startet.pdf", make_pdf)
    report = ingest([corpus], small_settings, embeddings=fake_embeddings, quiet=True)
    assert sorted(report.added) == ["startet.pdf", "startet.txt"] and not report.failed
    return corpus


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_reported_and_good_files_are_indexed(
    case: str,
    indexed_corpus: Path,
    small_settings: Settings,
    fake_embeddings: HashingEmbeddings,
    make_pdf: MakePdf,
) -> None:
    name, write_bad_file, keywords = CASES[case]
    store = IndexStore(small_settings.index_dir)
    version_before = store.current_version()
    write_bad_file(indexed_corpus / name, make_pdf)
    (indexed_corpus / "konferenz.txt").write_text(NEW_RELEASE, encoding="utf-8")

    report = ingest([indexed_corpus], small_settings, embeddings=fake_embeddings, quiet=True)

    assert [source for source, _ in report.failed] == [name]
    reason = report.failed[0][1]
    assert all(keyword in reason for keyword in keywords), reason
    assert report.added == ["konferenz.txt"]
    assert sorted(report.unchanged) == ["startet.pdf", "startet.txt"]
    assert store.current_version() != version_before
    snapshot = store.open(fake_embeddings.model_id)
    try:
        assert sorted(snapshot.manifest.documents) == [
            "konferenz.txt",
            "startet.pdf",
            "startet.txt",
        ]
        assert snapshot.size == snapshot.manifest.chunk_count > 0
        assert all(snapshot.chunk_count(source) > 0 for source in snapshot.manifest.documents)
    finally:
        snapshot.close()


@pytest.mark.parametrize("case", ["truncated PDF", "password", "no text layer"])
def test_a_good_file_replaced_by_a_bad_one_keeps_its_indexed_version(
    case: str,
    indexed_corpus: Path,
    small_settings: Settings,
    fake_embeddings: HashingEmbeddings,
    make_pdf: MakePdf,
) -> None:
    store = IndexStore(small_settings.index_dir)
    before = store.current_version()
    CASES[case][1](indexed_corpus / "startet.pdf", make_pdf)

    report = ingest([indexed_corpus], small_settings, embeddings=fake_embeddings, quiet=True)

    assert [source for source, _ in report.failed] == ["startet.pdf"]
    assert not report.removed and not report.updated
    assert store.current_version() == before, "nothing changed, so no new version"
    snapshot = store.open(fake_embeddings.model_id)
    try:
        assert snapshot.chunk_count("startet.pdf") > 0
    finally:
        snapshot.close()


def test_unsupported_file_in_a_folder_is_skipped_and_given_explicitly_fails(
    indexed_corpus: Path, small_settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    spreadsheet = indexed_corpus / "zahlen.xlsx"
    spreadsheet.write_bytes(b"PK\x03\x04 not really a spreadsheet")

    report = ingest([indexed_corpus], small_settings, embeddings=fake_embeddings, quiet=True)
    assert report.skipped == [("zahlen.xlsx", "Dateityp wird nicht unterstützt")]
    assert not report.failed

    report = ingest([spreadsheet], small_settings, embeddings=fake_embeddings, quiet=True)
    assert [source for source, _ in report.failed] == ["zahlen.xlsx"]
    assert "„.xlsx“ wird nicht unterstützt" in report.failed[0][1]
    assert "PDF, HTML, Markdown und Text" in report.failed[0][1]


def test_missing_path_is_reported(
    small_settings: Settings, fake_embeddings: HashingEmbeddings, tmp_path: Path
) -> None:
    report = ingest([tmp_path / "fehlt"], small_settings, embeddings=fake_embeddings, quiet=True)
    assert report.failed == [(str(tmp_path / "fehlt"), "Datei oder Ordner nicht gefunden.")]
    assert not IndexStore(small_settings.index_dir).exists()


@pytest.mark.slow
def test_cli_reports_each_bad_file_in_german_without_traceback(
    tmp_path: Path, make_pdf: MakePdf, run_cli: RunCli
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "startet.txt").write_text(PRESS_RELEASE, encoding="utf-8")
    arguments = ("ingest", str(corpus), "--index", str(index), "--max-file-mb", "0.02")
    first = run_cli(*arguments)
    assert first.returncode == 0, first.stderr
    version = IndexStore(index).current_version()

    bad = {
        name: CASES[case]
        for case, (name, _, _) in CASES.items()
        if case in {"empty", "text named .pdf", "password", "no text layer", "binary .txt"}
    }
    for name, (_, write_bad_file, _) in bad.items():
        write_bad_file(corpus / name, make_pdf)
    (corpus / "konferenz.txt").write_text(NEW_RELEASE, encoding="utf-8")
    second = run_cli(*arguments)

    assert second.returncode == 1
    output = second.stdout + second.stderr
    assert "Traceback" not in output
    errors = second.stderr.splitlines()
    for name, (_, _, keywords) in bad.items():
        line = next(line for line in errors if line.startswith(f"FEHLER {name}: "))
        assert all(keyword in line for keyword in keywords), line
    assert f"{len(bad)} Datei(en) konnten nicht eingelesen werden" in second.stderr
    assert "Neu: konferenz.txt" in second.stdout
    assert IndexStore(index).current_version() != version
    snapshot = IndexStore(index).open()
    try:
        assert sorted(snapshot.manifest.documents) == ["konferenz.txt", "startet.txt"]
    finally:
        snapshot.close()
