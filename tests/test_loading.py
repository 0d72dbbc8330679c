"""Loading real files: every development document comes out clean and correctly described."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdf
import pytest
from lxml import html as lxml_html

from assistant.documents import Document
from assistant.loading import load_document
from assistant.loading.layout import SizedLine, breaks_at_size_changes
from assistant.metadata_check import date_matches, title_matches

DEVSET_FILES = sorted(
    path.name
    for path in (Path(__file__).parents[1].parent / "shared" / "devset" / "docs").glob("*")
    if path.suffix in {".pdf", ".html", ".htm", ".md", ".txt"}
)
MAX_BYTES = 50_000_000
# Words after a real, suspended hyphen: "Maschinenbau- und Zuliefererindustrie".
CONJUNCTIONS = {"und", "oder", "bzw", "sowie", "als", "wie", "bis"}
GERMAN = "Größere Übersicht: Straße, Maß, Förderung, Änderung und Öffnung für Bürgerinnen."


def _load(path: Path) -> Document:
    return load_document(path, path.name, MAX_BYTES)


@pytest.fixture(scope="module")
def devset_documents(devset_docs: Path) -> dict[str, Document]:
    return {name: _load(devset_docs / name) for name in DEVSET_FILES}


def test_devset_is_complete(devset_manifest: dict[str, dict[str, Any]]) -> None:
    assert len(DEVSET_FILES) >= 16
    assert set(DEVSET_FILES) == set(devset_manifest)


@pytest.mark.parametrize("name", DEVSET_FILES)
def test_text_is_clean(name: str, devset_documents: dict[str, Document]) -> None:
    text = devset_documents[name].text
    assert len(text) > 500
    assert not re.search(r"Seite \d+ (?:von|/) \d+", text), "page footer left in the text"
    assert not re.search(r"(?m)^\s*(?:[-–]\s*)?\d{1,3}(?:\s*[-–])?\s*$", text), "bare page number"
    assert not re.search("[\ufb00-\ufb06]", text), "ligature character"
    assert "\u00ad" not in text and "\ufffd" not in text
    broken = [
        match.group()
        for match in re.finditer(r"(\w+)-\s+([a-zäöüß]\w*)", text)
        if match[2] not in CONJUNCTIONS
    ]
    assert not broken, f"broken hyphenations: {broken[:5]}"
    assert not re.search(r"(?:\.\s*){4,}\d", text), "dotted leader of a table of contents"
    assert not re.search(r"(?m)\s\.\s+\d{1,3}\s*$", text), "table of contents line"


@pytest.mark.parametrize("name", [n for n in DEVSET_FILES if n.endswith(".pdf")])
def test_pdf_line_end_hyphenations_are_joined(
    name: str, devset_docs: Path, devset_documents: dict[str, Document]
) -> None:
    """Every word pypdf sees split at a line end ('Wert-' / 'schöpfung') is whole in our text."""
    reader = pypdf.PdfReader(devset_docs / name)
    raw = "\n".join(page.extract_text() or "" for page in reader.pages)
    split_words = [
        (first, rest)
        for first, rest in re.findall(r"(\w+)-\n([a-zäöüß]\w*)", raw)
        if rest not in CONJUNCTIONS
    ]
    text = devset_documents[name].text
    missing = [f"{first}-{rest}" for first, rest in split_words if f"{first}{rest}" not in text]
    assert not missing


@pytest.mark.parametrize("name", [n for n in DEVSET_FILES if n.endswith(".pdf")])
def test_pdf_pages_keep_their_numbers(
    name: str, devset_docs: Path, devset_documents: dict[str, Document]
) -> None:
    document = devset_documents[name]
    page_count = len(pypdf.PdfReader(devset_docs / name).pages)
    assert document.page_count == page_count
    numbers = [page.number for page in document.pages]
    assert numbers == sorted(numbers)
    assert set(numbers) <= set(range(1, page_count + 1))
    assert len(numbers) >= page_count - 1  # at most an empty back cover is dropped


def test_real_hyphens_stay(seed_dir: Path, devset_docs: Path) -> None:
    seed = _load(next(seed_dir.glob("*.txt")))
    assert "Maschinenbau- und Zuliefererindustrie" in seed.text
    assert "Aus- und Weiterbildungsangebote" in seed.text
    markdown = _load(devset_docs / "2018-05-15_vdivde-it_rueckblick-strategiekonferenzen-2018.md")
    assert "VDI/VDE-IT" in markdown.text


def test_a_change_of_type_size_ends_the_paragraph() -> None:
    lines = [
        SizedLine("Geschäftsstelle mit der Umsetzung betraut", 11.0),  # subtitle, a little larger
        SizedLine("Wie sieht die Industrie im Jahr 2030 aus? Auf", 10.3),
        SizedLine("welche Umbrüche müssen sich Betriebe einstellen?", 10.3),  # same size: joins
        SizedLine("1 Eine Fußnote in kleiner Schrift", 7.5),  # below body size: left to footnotes
    ]
    text = "\n".join(line.text for line in lines)
    assert breaks_at_size_changes(text, lines, body=10.3).split("\n") == [
        lines[0].text,
        "",
        lines[1].text,
        lines[2].text,
        lines[3].text,
    ]
    rewritten = "Tabelle: A – B\n" + lines[2].text  # a line no sized line spells stays as it is
    assert breaks_at_size_changes(rewritten, lines, body=10.3) == rewritten


def test_a_subtitle_does_not_run_into_the_first_paragraph(
    devset_documents: dict[str, Document],
) -> None:
    text = devset_documents["2015-12-06_medieninformation_strategiewerkstatt-startet.pdf"].text
    assert "mit der Umsetzung betraut\n\nWie sieht die sächsische Industrie" in text


def test_seed_text_is_joined_into_paragraphs(seed_dir: Path) -> None:
    seed = _load(next(seed_dir.glob("*.txt")))
    assert "die industrielle Wertschöpfung neu zu denken" in seed.text
    assert seed.date == "2017-03-07"
    assert seed.title.startswith("Dulig: Wertschöpfung neu denken")
    assert seed.kind == "press_release"


@pytest.mark.parametrize("name", DEVSET_FILES)
def test_date_matches_manifest(
    name: str, devset_documents: dict[str, Document], devset_manifest: dict[str, dict[str, Any]]
) -> None:
    """Exact where the document states a full date; a month ('März 2018') gives '2018-03'."""
    document, expected = devset_documents[name], devset_manifest[name]["date"]
    assert document.date is not None
    assert date_matches(document.date, expected), (document.date, document.provenance)
    if document.date != expected:
        assert re.fullmatch(r"\d{4}-\d{2}", document.date), f"{document.date} != {expected}"
        assert document.kind == "strategy_paper"


@pytest.mark.parametrize("name", DEVSET_FILES)
def test_title_matches_manifest(
    name: str, devset_documents: dict[str, Document], devset_manifest: dict[str, dict[str, Any]]
) -> None:
    """Our title is the manifest title or has its main part (a label like 'Schlaglicht:' may go)."""
    title, expected = devset_documents[name].title, devset_manifest[name]["title"]
    without_label = re.sub(r"^\w+:\s+", "", expected)
    assert len(title.split()) >= 2
    assert title_matches(title, expected) or title_matches(title, without_label), (title, expected)


_BOILERPLATE = (
    "//nav | //footer | //script | //style | //header[not(ancestor::article or ancestor::main)]"
    " | //*[contains(@class, 'cookie') or contains(@id, 'cookie') or contains(@class, 'consent')]"
)


def _boilerplate_strings(markup: bytes) -> set[str]:
    """Text of navigation, footers, scripts and cookie banners that the main content lacks."""
    tree = lxml_html.fromstring(markup)
    main = " ".join(" ".join(node.itertext()) for node in tree.xpath("//main | //article"))
    main = " ".join(main.split())
    strings = set()
    for element in tree.xpath(_BOILERPLATE):
        for piece in element.itertext():
            piece = " ".join(piece.split())
            if len(piece) >= 4 and piece not in main:
                strings.add(piece)
    return strings


@pytest.mark.parametrize("name", [n for n in DEVSET_FILES if n.endswith((".html", ".htm"))])
def test_html_boilerplate_is_dropped(
    name: str, devset_docs: Path, devset_documents: dict[str, Document]
) -> None:
    text = devset_documents[name].text
    paragraphs = set(text.split("\n\n"))
    boilerplate = _boilerplate_strings((devset_docs / name).read_bytes())
    assert boilerplate, "the page has navigation, footer or banner to drop"
    left = [s for s in boilerplate if s in paragraphs or (len(s) >= 25 and s in text)]
    assert not left
    assert "cookie" not in text.casefold()
    assert "<" not in text and "function" not in text


@pytest.mark.parametrize("name", [n for n in DEVSET_FILES if n.endswith((".html", ".htm"))])
def test_html_keeps_every_paragraph_of_the_main_content(
    name: str, devset_docs: Path, devset_documents: dict[str, Document]
) -> None:
    """Lead paragraphs ("teaser") included: they often carry the key facts. A contact paragraph
    (press office, phone, e-mail) is kept as the document's contact, not as text."""
    document = devset_documents[name]
    text = " ".join(document.text.split())
    tree = lxml_html.fromstring((devset_docs / name).read_bytes())
    paragraphs = [
        " ".join(" ".join(p.itertext()).split()) for p in tree.xpath("(//main | //article)//p")
    ]
    missing = [p for p in paragraphs if len(p) >= 40 and p not in text]
    known_words = set(text.split()) | set((document.contact or "").split())
    assert not [p for p in missing if not set(p.split()) <= known_words]
    assert not [p for p in missing if not document.contact]


def test_html_main_text_without_banner_nav_footer_script(tmp_path: Path) -> None:
    path = tmp_path / "meldung.html"
    path.write_text(
        """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
        <title>Neue Werkstatt für Chemnitz | Medienservice Sachsen</title>
        <script>var tracker = "zaehlpixel"; function zaehle() { return tracker; }</script>
        </head><body>
        <div class="cookie-banner">Wir verwenden Cookies. Alle akzeptieren</div>
        <header><nav><a href="/">Startseite</a> | <a href="/termine">Termine</a></nav></header>
        <main><article>
        <h1>Neue Werkstatt für Chemnitz</h1>
        <p>Chemnitz, 4. Mai 2017. In Chemnitz eröffnet eine offene Werkstatt für Gründerinnen
        und Gründer. Sie bietet 3D-Drucker, Lasercutter und Beratung zu Förderprogrammen.</p>
        <p>Die Werkstatt ist werktags von 9 bis 18 Uhr geöffnet und für Schulklassen kostenfrei.
        Unternehmen können Räume für eigene Workshops mieten.</p>
        </article></main>
        <footer>Impressum · Datenschutz · Barrierefreiheit · © 2017 Freistaat Sachsen</footer>
        </body></html>""",
        encoding="utf-8",
    )
    document = _load(path)
    assert document.title == "Neue Werkstatt für Chemnitz"
    assert "eine offene Werkstatt für Gründerinnen und Gründer" in document.text
    assert "für Schulklassen kostenfrei" in document.text
    dropped = ("Cookies", "akzeptieren", "Startseite", "Termine", "Impressum", "tracker", "zaehle")
    assert not [word for word in dropped if word in document.text]
    assert document.kind == "web_page"


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "meldung.md"
    path.write_text(
        '---\ntitle: "Leitlinien vorgestellt"\ndate: 2018-03-07\nauthor: "StrategieWerkstatt"\n'
        "tags: [Sachsen, Industrie]\n---\n\n# Leitlinien für Sachsens Industrie vorgestellt\n\n"
        "Die **StrategieWerkstatt** hat ihre Leitlinien in Dresden vorgestellt. Mehr dazu\n"
        "steht im [Abschlussbericht](https://example.org/bericht.pdf).\n",
        encoding="utf-8",
    )
    document = _load(path)
    assert document.title == "Leitlinien für Sachsens Industrie vorgestellt"  # the H1 headline
    assert document.date == "2018-03-07"
    assert document.publisher == "StrategieWerkstatt"
    text = document.text
    assert "Die StrategieWerkstatt hat ihre Leitlinien in Dresden vorgestellt." in text
    assert "steht im Abschlussbericht." in text
    for syntax in ("---", "title:", "tags:", "**", "](", "https://", "# "):
        assert syntax not in text


def test_markdown_devset_has_no_markup_left(devset_documents: dict[str, Document]) -> None:
    document = devset_documents["2018-05-15_vdivde-it_rueckblick-strategiekonferenzen-2018.md"]
    assert document.publisher == "VDI/VDE Innovation + Technik GmbH"
    for syntax in ("**", "](", "![", "layout:", "tags:"):
        assert syntax not in document.text
    assert "StrategieWerkstatt: Industrie der ZUKUNFT des Sächsischen" in document.text


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", f"„{GERMAN}“ Kosten: 5 €."),
        ("utf-8-sig", f"„{GERMAN}“ Kosten: 5 €."),
        ("cp1252", f"„{GERMAN}“ Kosten: 5 €."),
        ("latin-1", f"»{GERMAN}« Kosten: 5 DM."),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, text: str) -> None:
    body = "\n".join(
        [
            "Medieninformation zur Förderung",
            "",
            text,
            "Die Förderrichtlinie gilt für kleine und mittlere Unternehmen in Sachsen, die",
            "Maßnahmen zur Digitalisierung planen. Anträge können ab März gestellt werden.",
        ]
    )
    path = tmp_path / f"meldung-{encoding}.txt"
    path.write_bytes(body.encode(encoding))
    document = _load(path)
    assert "\ufffd" not in document.text and "\ufeff" not in document.text
    assert text in document.text
    assert "Maßnahmen zur Digitalisierung" in document.text


def test_markdown_menus_are_dropped_but_tables_and_prose_stay(tmp_path: Path) -> None:
    page = tmp_path / "meldung.md"
    page.write_text(
        "[Startseite](/) › [Aktuelles](/aktuelles) › [Meldungen 2018](/aktuelles/2018)\n\n"
        "# Meldung\n\nDie Konferenz war gut besucht. Digitalisierung | Innovation sind Themen der Leitlinien.\n\n"
        "| Jahr | Betriebe |\n|---|---|\n| 2016 | 3.060 |\n\n---\n\n"
        "Teilen: Twitter · LinkedIn · E-Mail\n\nImpressum | Datenschutz | Cookie-Einstellungen\n",
        encoding="utf-8",
    )
    text = load_document(page, page.name, 10**6).text
    for menu in (
        "Startseite",
        "Meldungen 2018",
        "LinkedIn",
        "Impressum",
        "Cookie-Einstellungen",
        "---",
    ):
        assert menu not in text
    assert "Die Konferenz war gut besucht." in text
    assert "Digitalisierung | Innovation sind Themen" in text
    assert "3.060" in text


def test_a_web_page_read_twice_in_one_process_keeps_its_text(devset_docs: Path) -> None:
    """trafilatura's deduplication cache must not empty a page on a re-ingest."""
    path = devset_docs / "zukunftswerkstatt-industrie_index.html"
    assert _load(path).text == _load(path).text
