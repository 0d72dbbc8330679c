"""Unit tests of German text cleanup, date parsing and sentence-aware chunking."""

from __future__ import annotations

import itertools

import pytest

from assistant.chunking import chunk_document, is_heading, split_sentences
from assistant.cleaning import clean_text, join_lines, normalize_unicode, strip_running_lines
from assistant.documents import Document, Page
from assistant.metadata import parse_date

# --- cleanup ---------------------------------------------------------------------------------


def test_normalize_unicode_removes_ligatures_soft_hyphens_and_odd_spaces() -> None:
    text = normalize_unicode("Der demograﬁsche Wandel beeinﬂusst\u00a0die Wert\u00adschöpfung.\r\n")
    assert text == "Der demografische Wandel beeinflusst die Wertschöpfung.\n"


@pytest.mark.parametrize(
    ("wrapped", "joined"),
    [
        ("die industrielle Wert-\nschöpfung neu", "die industrielle Wertschöpfung neu"),
        ("der Beschäf-\ntigten.", "der Beschäftigten."),
        ("der Maschinenbau-\nund Zuliefererindustrie", "der Maschinenbau- und Zuliefererindustrie"),
        ("Aus-\noder Weiterbildung", "Aus- oder Weiterbildung"),
        ("beauftragt ist die VDI/VDE-\nIT in Berlin", "beauftragt ist die VDI/VDE-IT in Berlin"),
        ("die neue Industrie-\nStrategie für Sachsen", "die neue Industrie-Strategie für Sachsen"),
        ("Kultur- und\nKreativwirtschaft", "Kultur- und Kreativwirtschaft"),
    ],
)
def test_join_lines_hyphenation(wrapped: str, joined: str) -> None:
    assert join_lines(wrapped) == joined


def test_join_lines_rebuilds_paragraphs_and_keeps_headings_and_lists() -> None:
    text = (
        "Ausgangslage\n"
        "Die sächsische Industrie hat sich seit den 1990er-Jahren beeindruckend\n"
        "entwickelt, ihr Wertschöpfungsniveau bleibt aber hinter dem anderer\n"
        "Industrieregionen zurück.\n"
        "\n"
        "Handlungsfelder sind:\n"
        "- Digitalisierung der Produktion\n"
        "- Fachkräfte und Weiterbildung\n"
    )
    assert join_lines(text).split("\n\n") == [
        "Ausgangslage",
        "Die sächsische Industrie hat sich seit den 1990er-Jahren beeindruckend entwickelt, ihr "
        "Wertschöpfungsniveau bleibt aber hinter dem anderer Industrieregionen zurück.",
        "Handlungsfelder sind:",
        "- Digitalisierung der Produktion",
        "- Fachkräfte und Weiterbildung",
    ]


# A press release's body is set narrower than its footer: measured against the footer, every
# wrapped body line looks short enough to have ended on purpose.
_WIDE_FOOTER = (
    "Diese Medieninformation sowie Fotos in druckfähiger Auflösung finden Sie im Internet.\n"
    "Archivstraße 1 | 01097 Dresden | www.sk.sachsen.de | www.medienservice.sachsen.de\n"
)


def test_a_line_that_ends_in_an_article_or_conjunction_continues_on_the_next() -> None:
    text = (
        "Hintergrund: Automobilstandort Zwickau\n"
        "In Zwickau entstehen seit 1904 Automobile, zunächst unter der\n"
        "Marke Horch. Im Erzgebirge lagern neben\n"
        "Lithium auch Zinn. Heute gehören die Werke in Zwickau, Dresden und\n"
        "Chemnitz zur Volkswagen Sachsen GmbH.\n" + _WIDE_FOOTER
    )
    assert join_lines(text).split("\n\n")[:2] == [
        "Hintergrund: Automobilstandort Zwickau",
        "In Zwickau entstehen seit 1904 Automobile, zunächst unter der Marke Horch. Im "
        "Erzgebirge lagern neben Lithium auch Zinn. Heute gehören die Werke in Zwickau, Dresden "
        "und Chemnitz zur Volkswagen Sachsen GmbH.",
    ]


def test_a_line_that_ends_in_an_article_and_an_adjective_continues() -> None:
    text = (
        "Förderfähig sind Forschungsaufträge an Hochschulen und Institute in Sachsen.\n"
        "Nicht gefördert wird der betriebsinterne\n"
        "Aufwand des Unternehmens.\n" + _WIDE_FOOTER
    )
    assert join_lines(text).split("\n\n")[0] == (
        "Förderfähig sind Forschungsaufträge an Hochschulen und Institute in Sachsen. "
        "Nicht gefördert wird der betriebsinterne Aufwand des Unternehmens."
    )


def test_a_line_that_opens_with_a_number_inside_a_phrase_continues() -> None:
    text = (
        "Der Index fasst den Stand in einer einzigen Kennzahl zusammen, dem Wirtschaftsindex.\n"
        "Demnach kommen die Unternehmen derzeit auf\n"
        "48 von 100 möglichen Punkten.\n"
        "Ausblick\n"
        "4 Bis März 2011 konnte die Teilnahme nur dreimal gefördert werden.\n" + _WIDE_FOOTER
    )
    assert join_lines(text).split("\n\n")[:3] == [
        "Der Index fasst den Stand in einer einzigen Kennzahl zusammen, dem Wirtschaftsindex. "
        "Demnach kommen die Unternehmen derzeit auf 48 von 100 möglichen Punkten.",
        "Ausblick",  # must not fire: a number before a capital opens a footnote or heading
        "4 Bis März 2011 konnte die Teilnahme nur dreimal gefördert werden.",
    ]


def test_a_line_that_ends_in_a_dash_after_a_word_continues() -> None:
    text = (
        "Zuständig ist die Sächsische Aufbaubank –\n"  # short beside the footer's lines
        "Förderbank – (SAB). Die SAB wurde 1991 gegründet.\n"
        "Eigenanteil: –\n"  # must not fire: an empty value
        "Die Teilnahme ist kostenfrei.\n" + _WIDE_FOOTER
    )
    assert join_lines(text).split("\n\n")[:3] == [
        "Zuständig ist die Sächsische Aufbaubank – Förderbank – (SAB). Die SAB wurde 1991 "
        "gegründet.",
        "Eigenanteil: –",
        "Die Teilnahme ist kostenfrei.",
    ]


def test_a_line_that_ends_in_bis_zu_continues_with_the_amount() -> None:
    text = (
        "Gefördert werden Vorhaben mit einer Laufzeit von bis zu\n"  # short beside the footer
        "18 Monaten und Ausgaben von bis zu 250.000 Euro.\n" + _WIDE_FOOTER
    )
    assert join_lines(text).split("\n\n")[0] == (
        "Gefördert werden Vorhaben mit einer Laufzeit von bis zu 18 Monaten und Ausgaben von bis "
        "zu 250.000 Euro."
    )


@pytest.mark.parametrize(
    "title",
    [
        "Fachkräfteallianz Sachsen nimmt ihre Arbeit auf",  # a verb particle ends a title
        "Die Zahl der Auszubildenden nimmt zu",  # "zu" alone ends a title; only "bis zu" goes on
        "Minister Dulig stellt die Strategie vor",
        "Heimische Rohstoffe sichern",  # an infinitive
        "Ausblick auf das Jahr 2030",  # a noun or number
        "Kooperation und Vernetzung",
        "Ziele für die Region",  # an article and its noun end a title
    ],
)
def test_a_title_that_ends_in_a_particle_verb_or_noun_stays_a_line_of_its_own(title: str) -> None:
    text = f"{title}\n29 Partner aus Wirtschaft und Verwaltung wollen zusammenarbeiten.\n"
    assert join_lines(text + _WIDE_FOOTER).split("\n\n")[0] == title


def test_a_short_numbered_line_is_a_heading_and_a_parenthesis_continues() -> None:
    text = (
        "Martin Dulig, Staatsminister für Wirtschaft, Arbeit und Verkehr, im Vorwort dazu\n"
        "1 Rohstoffland Sachsen\n"
        "Die Übersicht nennt Programme für kleine Unternehmen\n"
        "(KMU) und für die Wissenschaft. Gefördert werden Vorhaben mit einer Laufzeit von bis zu\n"
        "18 Monaten und Ausgaben von bis zu 250.000 Euro, wenn sie in Sachsen umgesetzt werden.\n"
        "Gefördert werden insbesondere\n"
        "(1) Forschungsaufträge an Hochschulen und Institute in Sachsen.\n" + _WIDE_FOOTER
    )
    assert join_lines(text).split("\n\n")[:4] == [
        "Martin Dulig, Staatsminister für Wirtschaft, Arbeit und Verkehr, im Vorwort dazu",
        "1 Rohstoffland Sachsen",
        "Die Übersicht nennt Programme für kleine Unternehmen (KMU) und für die Wissenschaft. "
        "Gefördert werden Vorhaben mit einer Laufzeit von bis zu 18 Monaten und Ausgaben von "
        "bis zu 250.000 Euro, wenn sie in Sachsen umgesetzt werden. Gefördert werden "
        "insbesondere",
        "(1) Forschungsaufträge an Hochschulen und Institute in Sachsen.",  # an enumeration
    ]


def test_join_lines_drops_table_of_contents_lines() -> None:
    text = (
        "Inhalt\n"
        "1 Ausgangslage . . . . . . . . . . . . . . . . 3\n"
        "2 Maßnahmen .................... 4\n"
        "2.1 Transfer wissenschaftlicher Exzellenz in die industrielle Wertschöpfung . 5\n"
        "Anhang …… 8\n"
    )
    assert join_lines(text) == "Inhalt"


def test_strip_running_lines_removes_headers_footers_and_page_numbers() -> None:
    bodies = ["Sachsen ist ein Industrieland.", "Die Werkstatt lädt ein.", "Ergebnisse im Mai."]
    pages = [
        f"Leitlinien – Kurzfassung\n{body}\nSMWA | StrategieWerkstatt | März 2018\nSeite {n} von 3"
        for n, body in enumerate(bodies, start=1)
    ]
    pages[1] += "\n– 2 –"
    assert strip_running_lines(pages) == bodies


def test_strip_running_lines_keeps_a_single_page() -> None:
    page = "Leitlinien – Kurzfassung\nSachsen ist ein Industrieland.\n3"
    assert strip_running_lines([page]) == [page.removesuffix("\n3")]


def test_clean_text_collapses_spaces_and_trims() -> None:
    assert clean_text("  Sachsen   ist\tein  Industrieland.  \n\n\n  Seit 1990. ") == (
        "Sachsen ist ein Industrieland.\n\nSeit 1990."
    )


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("07.03.2017", "2017-03-07"),
        ("7. März 2017", "2017-03-07"),
        ("7. Maerz 2017", "2017-03-07"),
        ("Dresden, 18. Januar 2022", "2022-01-18"),
        ("März 2018", "2018-03"),
        ("Stand: November 2017", "2017-11"),
        ("veröffentlicht 2018-05-15", "2018-05-15"),
        ("Am 7. März 2017 in Leipzig, gemeldet am 08.03.2017", "2017-03-07"),
        ("Im März 2018 lud die Werkstatt für den 7. März 2018 ein", "2018-03-07"),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", ["31.02.2017", "ohne Datum", "im Jahr 2030", "13.13.2013"])
def test_parse_date_without_a_valid_date(text: str) -> None:
    assert parse_date(text) is None


# --- sentences and chunks --------------------------------------------------------------------


def test_split_sentences_respects_german_abbreviations() -> None:
    paragraph = (
        "Die Konferenz findet am 7. März 2017 in Leipzig statt. "
        "Es sprechen u. a. Prof. Dr.-Ing. Engelbert Westkämper und Dr. Anna Schmidt. "
        "Themen sind z. B. Digitalisierung, Kreativwirtschaft usw. in der Industrie. "
        "Der 3. Workshop folgt im Mai!"
    )
    assert split_sentences(paragraph) == [
        "Die Konferenz findet am 7. März 2017 in Leipzig statt.",
        "Es sprechen u. a. Prof. Dr.-Ing. Engelbert Westkämper und Dr. Anna Schmidt.",
        "Themen sind z. B. Digitalisierung, Kreativwirtschaft usw. in der Industrie.",
        "Der 3. Workshop folgt im Mai!",
    ]


def test_split_sentences_normalises_whitespace() -> None:
    assert split_sentences("Erster  Satz\nmit Umbruch.   Zweiter Satz.") == [
        "Erster Satz mit Umbruch.",
        "Zweiter Satz.",
    ]


def _paper(sections: int = 6, sentences: int = 8) -> Document:
    """A two-page paper: headings, each followed by a paragraph of numbered sentences."""
    pages = []
    for page_number in (1, 2):
        paragraphs = []
        for section in range(sections):
            paragraphs.append(f"Handlungsfeld {page_number}.{section} Innovation")
            paragraphs.append(
                " ".join(
                    f"Satz {page_number}-{section}-{n} beschreibt eine Maßnahme für die Industrie."
                    for n in range(sentences)
                )
            )
        pages.append(Page("\n\n".join(paragraphs), page_number))
    return Document(
        source="paper.pdf",
        title="Leitlinien",
        pages=pages,
        date="2018-03",
        content_hash="ab" * 32,
        page_count=2,
    )


def test_chunks_respect_size_and_overlap() -> None:
    size, overlap = 400, 100
    chunks = chunk_document(_paper(), size, overlap)
    assert len(chunks) > 10
    assert max(len(c.text) for c in chunks) <= size * 1.3
    assert sum(len(c.text) for c in chunks) / len(chunks) >= size * 0.5
    repeated = [
        a
        for a, b in itertools.pairwise(chunks)
        if a.page == b.page and a.text.rsplit("\n", 1)[-1].split(". ")[-1] in b.text
    ]
    assert repeated, "consecutive chunks share an overlapping sentence"
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def _section(sentence_or_heading: str) -> str:
    """The heading of a line of ``_paper``: 'Satz 1-2-5 …' → 'Handlungsfeld 1.2 Innovation'."""
    if sentence_or_heading.startswith("Handlungsfeld"):
        return sentence_or_heading
    page, section = sentence_or_heading.split()[1].split("-")[:2]
    return f"Handlungsfeld {page}.{section} Innovation"


def test_chunks_keep_headings_with_their_text_and_stay_on_one_page() -> None:
    document = _paper()
    chunks = chunk_document(document, 400, 100)
    seen_headings = set()
    for chunk in chunks:
        lines = chunk.text.split("\n")
        page_text = " ".join(document.pages[chunk.page - 1].text.split())
        assert all(line in page_text for line in lines), "chunk crosses a page"
        assert chunk.heading == _section(lines[0])
        for index, line in enumerate(lines):
            if is_heading(line):
                seen_headings.add(line)
                assert index + 1 < len(lines), f"chunk ends with its heading {line!r}"
                assert _section(lines[index + 1]) == line
    assert len(seen_headings) == 12


def test_single_overlong_sentence_is_split_at_word_bounds() -> None:
    words = " ".join(f"Wort{n}" for n in range(300))
    document = Document(source="t.txt", title="T", pages=[Page(words)], content_hash="cd" * 32)
    chunks = chunk_document(document, 300, 0)
    assert len(chunks) > 3
    assert all(len(c.text) <= 300 for c in chunks)
    assert " ".join(c.text for c in chunks) == words
