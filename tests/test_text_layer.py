"""Unreadable text layers are refused with a hint to OCR; scans are recognised by Tesseract."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MakePdf
from fakes import HashingEmbeddings

from assistant.errors import DocumentError
from assistant.ingest import ingest
from assistant.loading import load_document, ocr
from assistant.loading.quality import is_consent_page, unreadable_reason
from assistant.settings import Settings

GERMAN = (
    "Die Staatsregierung hat heute die neue Industriestrategie für den Freistaat Sachsen "
    "beschlossen. Sie soll die Wertschöpfung der Unternehmen stärken, die Fachkräfte im Land "
    "halten und die Forschung mit der Wirtschaft enger verbinden. Dazu gehören auch neue "
    "Programme für kleine und mittlere Unternehmen in allen Regionen des Landes."
)


def _shifted(text: str) -> str:
    """What a font with a wrong glyph map extracts: every letter moved one place on."""
    return "".join(chr(ord(c) + 1) if c.isascii() and c.isalpha() else c for c in text)


def _lines(text: str, width: int = 80) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


def test_language_passes_and_nonsense_is_named() -> None:
    assert unreadable_reason(GERMAN) is None
    assert unreadable_reason("Industrie 4.0, COVID-19 und Top10: Zahlen 2017 bis 2025.") is None
    assert "bekannte" in (unreadable_reason(_shifted(GERMAN)) or "")
    assert "cid" in (unreadable_reason("(cid:12)(cid:45)(cid:7) " * 20) or "")
    assert unreadable_reason("Der Text \ufffd\ufffd\ufffd\ufffd ist kaputt.") is not None


def test_unreadable_page_is_dropped_with_a_notice(tmp_path: Path, make_pdf: MakePdf) -> None:
    path = make_pdf(tmp_path / "gemischt.pdf", [_lines(_shifted(GERMAN)), _lines(GERMAN)])
    document = load_document(path, path.name, 10**8)
    assert "Industriestrategie" in document.text
    assert _shifted("Industriestrategie") not in document.text
    assert any(
        "Seite 1: Textebene nicht lesbar" in note and "OCR" in note for note in document.notices
    )


def test_unreadable_file_is_refused_with_a_hint_to_ocr(tmp_path: Path, make_pdf: MakePdf) -> None:
    path = make_pdf(tmp_path / "kaputt.pdf", [_lines(_shifted(GERMAN))] * 2)
    with pytest.raises(DocumentError, match="Texterkennung \\(OCR\\)"):
        load_document(path, path.name, 10**8)
    text = tmp_path / "kaputt.txt"
    text.write_text(_shifted(GERMAN), encoding="utf-8")
    with pytest.raises(DocumentError, match="nicht lesbar"):
        load_document(text, text.name, 10**8)


def test_cookie_page_is_flagged_in_the_report(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    cookie = (
        "Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten. Mit Ihrer Einwilligung "
        "nutzen wir Tracking von Drittanbietern. Sie können der Datenschutzerklärung zustimmen "
        "oder alle Cookies ablehnen. Mit Klick auf Akzeptieren stimmen Sie der Nutzung zu."
    )
    assert is_consent_page(cookie) and not is_consent_page(GERMAN)
    corpus = settings.corpus_dir
    corpus.mkdir(parents=True)
    (corpus / "cookie.txt").write_text(cookie, encoding="utf-8")
    (corpus / "meldung.txt").write_text(GERMAN, encoding="utf-8")
    report = ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    assert [source for source, _ in report.notices] == ["cookie.txt"]
    assert "Cookie" in report.notices[0][1]


def _scanned_pdf(path: Path) -> Path:
    """An image-only PDF: a text page rendered to pixels with Pillow, as a scanner would."""
    import reportlab
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1654, 1200), 255)  # A4 width at 200 dpi
    draw = ImageDraw.Draw(page)
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # has ä, ö, ü and ß
    font = ImageFont.truetype(str(vera), 44)
    lines = [
        "Medieninformation",
        "Dresden, 7. März 2017",
        "Die Staatsregierung beschließt die",
        "Industriestrategie für Sachsen. Sie",
        "stärkt die Wertschöpfung der Betriebe.",
    ]
    for index, line in enumerate(lines):
        draw.text((120, 120 + index * 90), line, fill=0, font=font)
    page.save(path, "PDF", resolution=200)
    return path


@pytest.mark.skipif(
    not ocr.ocr_available(),
    reason="tesseract mit deutschen Sprachdaten fehlt (CI installiert tesseract-ocr-deu)",
)
def test_scanned_pdf_is_recognised_and_marked(tmp_path: Path) -> None:
    path = _scanned_pdf(tmp_path / "scan.pdf")
    document = load_document(path, path.name, 10**8)
    for word in ("Staatsregierung", "Industriestrategie", "Sachsen", "Wertschöpfung"):
        assert word in document.text
    assert document.ocr_pages == [1]
    assert document.date == "2017-03-07"
    assert any("Texterkennung (OCR)" in note for note in document.notices)


def test_without_tesseract_a_scan_gets_the_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "_languages", lambda: frozenset())
    path = _scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(DocumentError, match="tesseract-ocr-deu"):
        load_document(path, path.name, 10**8)
