"""Publication dates and titles found by document structure, with their provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MakePdf

from assistant.loading import load_document
from assistant.metadata import date_from_head
from assistant.metadata_check import date_matches, title_matches

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV_SETS = [SHARED / "devset" / "docs", SHARED / "devset2" / "docs"]


def test_stand_line_wins_over_older_body_dates(tmp_path: Path, make_pdf: MakePdf) -> None:
    path = make_pdf(
        tmp_path / "papier.pdf",
        [
            ["Ein Papier zur Industrie", "Stand: Juni 2023"],
            ["Am 18.01.2022 begann die Arbeit; seit dem 07.03.2017 gilt der Beschluss."],
        ],
    )
    document = load_document(path, path.name, 10**8)
    assert document.date == "2023-06"  # month precision kept, body dates ignored
    assert "Stand: Juni 2023" in document.provenance["date"]


def test_body_date_alone_is_not_a_publication_date(tmp_path: Path) -> None:
    path = tmp_path / "notiz.txt"
    path.write_text(
        "Notiz zur Industrie\n\nAm 18. Januar 2022 wurde im Landtag über die Förderung "
        "beraten und am 3. März entschieden.\n",
        encoding="utf-8",
    )
    document = load_document(path, path.name, 10**8)
    assert document.date is None
    assert document.provenance["date"] == "kein Datum gefunden"


def test_dateline_beats_stand_and_update_lines() -> None:
    lines = ["Aktualisiert: 02.02.2024", "Stand: Januar 2024", "Dresden, 3. Dezember 2015"]
    assert date_from_head(lines) == ("2015-12-03", "Kopfzeile „Dresden, 3. Dezember 2015“")
    assert date_from_head(["Veröffentlicht am 12.01.2021", "Dresden, 3. Dezember 2015"]) == (
        "2021-01-12",
        "Kopfzeile „Veröffentlicht am 12.01.2021“",
    )
    assert date_from_head(["Die Sitzung am 7. März 2017 war gut besucht."]) is None


def test_html_meta_publication_date_beats_body_dates(tmp_path: Path) -> None:
    path = tmp_path / "seite.html"
    path.write_text(
        "<html><head><title>Meldung</title>"
        '<meta property="article:published_time" content="2021-04-09T10:00:00+02:00">'
        "</head><body><article><h1>Meldung zur Industrie</h1>"
        "<p>Dresden, 1. Februar 2020. Im Jahr 2019 und am 05.05.2018 wurde viel "
        "über die sächsische Industrie gesprochen, die Förderung wurde erweitert.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    document = load_document(path, path.name, 10**8)
    assert document.date == "2021-04-09"
    assert document.provenance["date"] == "HTML-Meta article:published_time"


def _title_page_pdf(
    path: Path,
    subtitle_lines: tuple[str, ...],
    title_lines: tuple[str, ...] = ("Neue Strategie für", "die Industrie"),
) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle("Kurztitel")
    lines = [("Freistaat Sachsen", 9), *((line, 24) for line in title_lines)]
    lines += [(line, 14) for line in subtitle_lines] + [("Stand: Mai 2019", 10)]
    for number, (text, size) in enumerate(lines):
        pdf.setFont("Helvetica", size)
        pdf.drawString(60, 800 - 40 * number, text)
    pdf.showPage()
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, 780, "Am 01.02.2017 wurde das Vorhaben im Landtag vorgestellt und beraten.")
    pdf.showPage()
    pdf.save()
    return path


@pytest.mark.parametrize(
    ("subtitle_lines", "subtitle"),
    [
        (("Ziele und Maßnahmen im Überblick",), "Ziele und Maßnahmen im Überblick"),
        # wrapped after an article: the capitalised next line still belongs to it
        (
            ("Ziele, Maßnahmen und der Stand der", "Umsetzung"),
            "Ziele, Maßnahmen und der Stand der Umsetzung",
        ),
        # a capitalised line after a complete phrase is the next block, not the subtitle
        (
            ("Ziele und Maßnahmen im Überblick", "Positionspapier"),
            "Ziele und Maßnahmen im Überblick",
        ),
    ],
)
def test_pdf_title_page_gives_title_with_subtitle(
    tmp_path: Path, subtitle_lines: tuple[str, ...], subtitle: str
) -> None:
    path = _title_page_pdf(tmp_path / "strategie.pdf", subtitle_lines)
    document = load_document(path, path.name, 10**8)
    assert document.title == f"Neue Strategie für die Industrie – {subtitle}"
    assert document.provenance["title"] == "Titelseite (größte Schrift)"
    assert document.date == "2019-05"


def test_a_title_set_over_several_lines_is_one_paragraph_of_the_text(tmp_path: Path) -> None:
    title = ("Kabinett beschließt Strategie:", "Sachsen will führender", "Standort werden")
    subtitle = "Ziele und Maßnahmen im Überblick"
    path = _title_page_pdf(tmp_path / "meldung.pdf", (subtitle,), title)
    document = load_document(path, path.name, 10**8)
    paragraphs = document.pages[0].text.split("\n\n")
    assert " ".join(title) in paragraphs and subtitle in paragraphs
    assert document.title == f"{' '.join(title)} – {subtitle}"
    # Must not fire: the letterhead above the title keeps its own paragraph.
    assert paragraphs[0] == "Freistaat Sachsen"


def test_matching_rules() -> None:
    assert date_matches("2018-03", "2018-03-07")
    assert date_matches("2018-03", "2018-03-01")
    assert not date_matches("2018-03-08", "2018-03-07")
    assert not date_matches(None, "2018-03-07")
    assert title_matches(
        "Heimat – Strategie 2030 (Kurzfassung)", "Heimat – Strategie 2030 – Kurzfassung"
    )
    assert title_matches("Heimat für Fachkräfte", "Heimat für Fachkräfte: Strategie")
    assert not title_matches("Strategie", "Heimat für Fachkräfte: Strategie")


@pytest.mark.parametrize("folder", DEV_SETS, ids=lambda p: p.parent.name)
def test_metadata_accuracy_on_dev_sets(folder: Path) -> None:
    """Dates exact at the source's precision for >= 95 %, titles for >= 90 % of documents."""
    if not folder.is_dir():
        pytest.skip(f"shared test data missing: {folder}")
    lines = (folder / "MANIFEST.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    documents = [load_document(folder / e["file"], e["file"], 10**9) for e in entries]
    dates = sum(date_matches(d.date, e["date"]) for d, e in zip(documents, entries, strict=True))
    titles = sum(
        title_matches(d.title, e["title"]) for d, e in zip(documents, entries, strict=True)
    )
    assert dates >= 0.95 * len(entries)
    assert titles >= 0.90 * len(entries)


def test_status_verbose_shows_where_metadata_came_from(
    tmp_path: Path,
    seed_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fakes import HashingEmbeddings

    from assistant.cli import main
    from assistant.ingest import ingest
    from assistant.settings import Settings

    settings = Settings(index_dir=tmp_path / "index", corpus_dir=seed_dir)
    ingest([seed_dir], settings, embeddings=HashingEmbeddings(), quiet=True)
    assert main(["status", "--verbose", "--index", str(settings.index_dir)]) == 0
    out = capsys.readouterr().out
    assert "Datum: 2017-03-07  (aus: Kopfzeile „07.03.2017“)" in out
    assert "Titel: Dulig: Wertschöpfung neu denken" in out
    assert "Kontakt: " in out and "Telefax +49 351 564 80680" in out
