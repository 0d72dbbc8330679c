"""No layout residue in answer text: page counters, letterhead contact lines, TOC leaders,
raw pipe table rows and footnote digits glued to words; and the rules leave content alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import MakePdf

from assistant.chunking import chunk_document
from assistant.cleaning import clean_text, join_lines
from assistant.documents import Chunk
from assistant.loading import is_supported, load_document
from assistant.residue import is_contact_line, split_contact

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FOLDERS = [SHARED / "devset" / "docs", SHARED / "devset2" / "docs", SHARED / "seed"]

RESIDUE = {
    "page counter": re.compile(
        r"\b(?:Seite|Page)\s+\d+\s+(?:von|of)\s+\d+\b|^\s*[-–]\s*\d+\s*[-–]\s*$", re.M
    ),
    "phone/fax line": re.compile(
        r"(?:^|\n)\s*(?:Telefon|Telefax|Tel\.|Fax|Durchwahl)\s*:?\s*\+?\d", re.IGNORECASE
    ),
    "TOC leader": re.compile(r"(?:\s?\.){4,}|…{2,}"),
    "pipe table row": re.compile(r"(?:^|\n)\s*\|.*\|"),
    "glued footnote digit": re.compile(r"(?<![\w-])[^\W\d_]*[a-zäöüß]{3}\d{1,2}(?=[\s.,;:]|$)"),
}


def _chunks(folder: Path) -> list[Chunk]:
    chunks: list[Chunk] = []
    for path in sorted(folder.iterdir()):
        if is_supported(path):
            document = load_document(path, path.name, 10**9)
            chunks.extend(chunk_document(document, 900, 200))
    return chunks


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.parent.name + "/" + p.name)
def test_dev_set_chunks_are_free_of_residue(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"shared test data missing: {folder}")
    chunks = _chunks(folder)
    assert len(chunks) >= 3
    found = [
        (name, chunk.source, match.group())
        for chunk in chunks
        for name, pattern in RESIDUE.items()
        for match in [pattern.search(chunk.text)]
        if match
    ]
    assert not found, found[:10]


def test_seed_loses_page_counter_and_letterhead(seed_dir: Path) -> None:
    document = load_document(next(seed_dir.glob("*.txt")), "seed.txt", 10**8)
    assert "Seite 1 von 2" not in document.text
    for residue in ("Ansprechpartner", "Durchwahl", "Telefon", "Telefax", "presse@"):
        assert residue not in document.text
        assert residue in (document.contact or "")
    assert "Jens Jungmann" in (document.contact or "")
    assert document.date == "2017-03-07"
    chunks = chunk_document(document, 900, 200)
    assert chunks[0].heading != "Seite 1 von 2"
    assert chunks[0].text.startswith("07.03.2017\nDulig: Wertschöpfung neu denken")
    assert document.kind == "press_release"
    assert document.publisher == "Sächsisches Staatsministerium für Wirtschaft, Arbeit und Verkehr"


def test_letterhead_goes_only_above_a_dateline() -> None:
    from assistant.residue import strip_letterhead

    press = "Medieninformation\n\nStaatskanzlei\n\nDresden, 3. Dezember 2015\n\nText."
    assert strip_letterhead(press) == "Dresden, 3. Dezember 2015\n\nText."
    paper = "Freistaat Sachsen\n\nHeimat für Fachkräfte\n\nStand: Mai 2019"
    assert strip_letterhead(paper) == paper
    prose = "Die Konferenz fand statt.\n\n07.03.2017\n\nText."
    assert strip_letterhead(prose) == prose


def test_contact_rules_do_not_fire_on_running_text() -> None:
    sentences = [
        "Die Hotline ist unter Telefon 0351 123456 montags bis freitags erreichbar, sagte Dulig.",
        "Weitere Angaben stehen auf Seite 3 des Berichts.",
        "Kontakt zu Unternehmen in Polen und Tschechien wird ausgebaut.",
        "Kontakt zu Gründern",  # a short heading that starts like a label
        "Industrie 4.0 und COVID-19 prägen die Jahre 2020 bis 2022.",
    ]
    for sentence in sentences:
        assert not is_contact_line(sentence)
        assert clean_text(sentence) == sentence


def test_letterhead_block_goes_to_contact() -> None:
    lines = [
        "Ihre Ansprechpartnerin",
        "Katrin Mehlhorn",
        "Pressesprecherin",
        "Durchwahl",
        "Telefon: +49 351 564-80610",
        "Telefax: +49 351 564-80680",
        "presse@smwa.sachsen.de",
        "Pressestelle | Wilhelm-Buck-Straße 2 | 01097 Dresden",
        "Datum: 06.12.2015",
        "Sachsens Industrie rüstet sich für die Zukunft.",
    ]
    kept, contact = split_contact(lines)
    assert kept == ["Datum: 06.12.2015", "Sachsens Industrie rüstet sich für die Zukunft."]
    assert contact == lines[:8]


def test_page_counters_go_but_page_references_stay() -> None:
    text = "Seite 1 von 2\n\nDer Bericht nennt auf Seite 3 die Zahlen.\n\n– 2 –\n\nPage 4 of 5\n\nEnde."
    cleaned = clean_text(text)
    assert cleaned == "Der Bericht nennt auf Seite 3 die Zahlen.\n\nEnde."


def test_toc_entries_are_dropped_with_or_without_page_number() -> None:
    text = (
        "Inhalt\n1 Ausgangslage . . . . . . . . 3\nVorwort . . . . . . . . . .\n\n"
        "Vorwort\n\nDas Werk ... endet hier."
    )
    assert clean_text(text) == "Vorwort\n\nDas Werk ... endet hier."


def test_a_toc_entry_too_long_for_a_leader_and_split_page_numbers_go() -> None:
    text = (
        "Inhalt\n\n3.2 Talente gewinnen . . . . . . . .\n4\n"
        "3.3 Vorhandene Potenziale nutzen – allen Erwerbspersonen Zugang zum Arbeitsmarkt\n5\n"
        "3.4 Fachkräfte binden . . . . . . . .\n5\n\nVorwort\n\nDas Werk endet hier."
    )
    assert clean_text(text) == "Vorwort\n\nDas Werk endet hier."


def test_numbered_headings_numbers_and_an_inhalt_line_outside_a_toc_stay() -> None:
    text = (
        "Inhalt\n\nDer Inhalt des Berichts folgt.\n\n3.3 Vorhandene Potenziale nutzen\n\n"
        "Die Zahl der Betriebe stieg auf\n5\n\nim Jahr 2016."
    )
    cleaned = clean_text(text)
    assert cleaned.startswith("Inhalt\n\nDer Inhalt des Berichts folgt.\n\n3.3 Vorhandene")
    assert "5" in cleaned


def test_pipe_tables_become_readable_rows() -> None:
    text = (
        "Die Zahlen:\n\n| Vorhaben | Ort | Betrag |\n|---|---|---|\n"
        "| Batteriewerk | Kamenz | 12 Mio. Euro |\n| Labor | Freiberg | 3 Mio. Euro |\n\n"
        "| Kennzahl | Wert |\n|:--|--:|\n| Gründung | Herbst 1999 |\n"
    )
    cleaned = clean_text(text)
    assert "Vorhaben: Batteriewerk – Ort: Kamenz – Betrag: 12 Mio. Euro." in cleaned
    assert "Vorhaben: Labor – Ort: Freiberg – Betrag: 3 Mio. Euro." in cleaned
    assert "Gründung: Herbst 1999." in cleaned
    assert "|" not in cleaned


def test_date_at_start_of_wrapped_line_is_no_list_item() -> None:
    text = (
        "Die Konferenz der StrategieWerkstatt findet in Leipzig statt, und zwar am\n"
        "7. März 2017 in der Messe, wie das Ministerium mitteilte.\n"
        "1. Punkt eins der Liste\n2. Punkt zwei der Liste"
    )
    paragraphs = join_lines(text).split("\n\n")
    assert paragraphs[0].endswith("am 7. März 2017 in der Messe, wie das Ministerium mitteilte.")
    assert paragraphs[1:] == ["1. Punkt eins der Liste", "2. Punkt zwei der Liste"]


def test_superscript_footnote_markers_leave_words(tmp_path: Path, make_pdf: MakePdf) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "fussnote.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    text = pdf.beginText(60, 780)

    def raised(marker: str) -> None:
        text.setFont("Helvetica", 7)
        text.setRise(4)
        text.textOut(marker)
        text.setRise(0)
        text.setFont("Helvetica", 11)

    text.setFont("Helvetica", 11)
    text.textOut("Hinter den identifizierten Handlungsfeldern")
    raised("3")
    text.textLine(" steht die Frage nach Rahmenbedingungen der Industrie 4.0 und Top10.")
    text.textOut("Im Jahr 2016 lag der Durchschnitt bei 55.")
    raised("3")
    text.textLine("")
    text.textOut("Die SAB vergibt Zuschüsse und Darlehen.")
    raised("4")
    text.textLine("")
    text.textLine("Abschnitt 4.3 nennt die Ziele der Strategie.")
    for _ in range(4):  # a page of full lines, as body text is set
        text.textLine(
            "Die sächsische Industrie steht vor großen Aufgaben, die das Papier beschreibt."
        )
    pdf.drawText(text)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(60, 80, "3 Vgl. den Bericht der StrategieWerkstatt von 2017.")
    pdf.drawString(60, 60, "5 Partner haben die Erklärung unterzeichnet.")  # 5 is no marker
    pdf.drawString(60, 46, "4 Ende 2002 wurde die SAB eine hundert-")  # a footnote of two lines
    pdf.drawString(60, 36, "prozentige Tochter des Freistaates.")
    pdf.showPage()
    pdf.save()
    document = load_document(path, path.name, 10**8)
    assert "Handlungsfeldern steht die Frage" in document.text
    assert "Industrie 4.0 und Top10." in document.text  # digits that are no marker stay
    assert "Durchschnitt bei 55." in document.text and "55.3" not in document.text
    assert "Abschnitt 4.3 nennt" in document.text  # a section number is no footnote
    # The footnote keeps its text but not its number: its marker is gone from the text.
    paragraphs = document.pages[0].text.split("\n\n")
    assert "Vgl. den Bericht der StrategieWerkstatt von 2017." in paragraphs
    assert "5 Partner haben die Erklärung unterzeichnet." in paragraphs
    assert "Ende 2002 wurde die SAB eine hundertprozentige Tochter des Freistaates." in paragraphs


def test_html_tables_become_rows_named_by_their_header(tmp_path: Path) -> None:
    page = tmp_path / "messen.html"
    page.write_text(
        "<html><head><title>Messen</title></head><body><main><h1>Messen 2024</h1>"
        "<p>Die Wirtschaftsförderung organisiert jedes Jahr Gemeinschaftsstände auf wichtigen "
        "Fach- und Leitmessen im In- und Ausland für sächsische Unternehmen.</p>"
        "<table><thead><tr><th>Messe</th><th>Ort</th><th>Hinweis</th></tr></thead><tbody>"
        "<tr><td>Arab Health</td><td>Dubai</td><td>seit über 15 Jahren</td></tr>"
        "<tr><td>InnoTrans</td><td>Berlin</td><td>bewährt</td></tr></tbody></table>"
        "</main></body></html>",
        encoding="utf-8",
    )
    text = load_document(page, page.name, 10**6).text
    assert "Messe: Arab Health – Ort: Dubai – Hinweis: seit über 15 Jahren." in text
    assert "Messe: InnoTrans – Ort: Berlin – Hinweis: bewährt." in text
    assert "|" not in text


def _draw(path: Path, items: list[tuple[str, str, float, float, float]]) -> Path:
    """A one-page PDF of (text, font, size, x, y) runs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for text, font, size, x, y in items:
        pdf.setFont(font, size)
        pdf.drawString(x, y, text)
    pdf.showPage()
    pdf.save()
    return path


def test_pdf_table_becomes_rows_with_wrapped_cells_joined(tmp_path: Path) -> None:
    intro = "Die Übersicht nennt die Förderung für Messen und Symposien im Freistaat Sachsen."
    cells = [
        ("Fördergegenstand", "Helvetica-Bold", 9, 60, 700),
        ("Art der Förderung", "Helvetica-Bold", 9, 220, 700),
        ("Höhe", "Helvetica-Bold", 9, 380, 700),
        ("Auslandsmesse", "Helvetica", 9, 60, 683),
        ("Pauschale", "Helvetica", 9, 220, 683),
        ("5.000 Euro", "Helvetica", 9, 380, 683),
        ("Inlandsmesse (Deutschland, EU- und", "Helvetica", 9, 60, 666),
        ("EFTA-Staaten)", "Helvetica", 9, 60, 655),
        ("Pauschale", "Helvetica", 9, 220, 666),
        ("4.000 Euro", "Helvetica", 9, 380, 666),
    ]
    path = _draw(tmp_path / "tabelle.pdf", [(intro, "Helvetica", 10, 60, 740), *cells])
    text = load_document(path, path.name, 10**6).text
    assert (
        "Fördergegenstand: Auslandsmesse – Art der Förderung: Pauschale – Höhe: 5.000 Euro." in text
    )
    assert (
        "Fördergegenstand: Inlandsmesse (Deutschland, EU- und EFTA-Staaten) – "
        "Art der Förderung: Pauschale – Höhe: 4.000 Euro."
    ) in text
    assert intro in text


def test_letterhead_beside_a_title_is_no_table(tmp_path: Path) -> None:
    items = [
        ("Sachsens Industrie rüstet sich", "Helvetica-Bold", 15, 60, 700),
        ("Pressestelle", "Helvetica", 7.5, 420, 700),
        ("für die Zukunft der Arbeit", "Helvetica-Bold", 15, 60, 682),
        ("Katrin Mehlhorn", "Helvetica", 7.5, 420, 682),
        (
            "Der Minister stellte heute in Dresden die neue Strategie für die Industrie vor.",
            "Helvetica",
            10,
            60,
            650,
        ),
    ]
    path = _draw(tmp_path / "kopf.pdf", items)
    text = load_document(path, path.name, 10**6).text
    assert "Sachsens Industrie rüstet sich für die Zukunft der Arbeit" in text
    assert ": Pressestelle" not in text and " – " not in text
