"""The German page shell, the viewer's text rebuilt from chunks, and the conversation download."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import gradio

from assistant.documents import Answer, Chunk, Citation, Passage
from assistant.page_shell import german_head, germanise
from assistant.pages import render_not_found, render_viewer
from assistant.store.manifest import DocumentRecord
from assistant.transcript import conversation_markdown
from assistant.viewer import DocumentView, _pages, overlap

GRADIO_PAGE = Path(gradio.__file__).parent / "templates" / "frontend" / "index.html"


def test_gradios_own_page_becomes_german_without_foreign_previews() -> None:
    page = germanise(
        GRADIO_PAGE.read_text(encoding="utf-8"), german_head("Titel <1>", "Über „uns“")
    )
    assert re.search(r'<html\s+lang="de"', page)
    assert "Click to try out the app" not in page and 'content="Gradio"' not in page
    assert "raw.githubusercontent.com" not in page and ":image" not in page
    head = page.split("</head>")[0]
    assert head.count("<title>Titel &lt;1&gt;</title>") == 1
    assert '<meta property="og:description" content="Über „uns“">' in head
    assert head.index("<meta charset") < head.index("<title>")  # charset stays first
    assert head.index('src="oberflaeche/deutsch.js"') < head.index('type="module"')


def chunk(position: int, text: str, page: int | None = None) -> Chunk:
    return Chunk(
        f"c{position}", "a.txt", text, "Titel", "2018-03-07", page, None, "document", position
    )


def test_overlapping_chunks_are_shown_once_and_each_chunk_keeps_its_place() -> None:
    first = "Erster Satz steht hier. Zweiter Satz steht dort."
    second = "Zweiter Satz steht dort. Dritter Satz."
    third = "Ganz neuer Absatz."
    [page] = _pages([chunk(2, third), chunk(0, first), chunk(1, second)])
    assert (
        page.text
        == "Erster Satz steht hier. Zweiter Satz steht dort. Dritter Satz.\nGanz neuer Absatz."
    )
    assert [page.text[slice(*page.spans[n])] for n in (0, 1, 2)] == [first, second, third]
    assert overlap("Ende mit e", "e und weiter") == 0  # a one-letter match is coincidence


def test_pdf_pages_stay_apart_and_the_marked_chunk_is_escaped() -> None:
    pages = _pages([chunk(0, "Seite eins <b>fett</b>.", 1), chunk(1, "Seite zwei.", 2)])
    assert [p.number for p in pages] == [1, 2]
    record = DocumentRecord(
        "a.pdf",
        "/x/a.pdf",
        "Bericht",
        "2018-03-07",
        "Ministerium",
        "strategy_paper",
        "h",
        "t",
        2,
        2,
        "2018",
    )
    html = render_viewer(DocumentView(record, pages), 0, has_file=True)
    assert '<mark id="stelle">Seite eins &lt;b&gt;fett&lt;/b&gt;.</mark>' in html
    assert 'href="../dokumente/a.pdf#page=2"' in html and "Strategiepapier" in html
    assert "Gelb markiert" not in render_viewer(DocumentView(record, pages), 9, has_file=False)
    assert 'href="../../bestand"' in render_not_found("../../")


def test_conversation_downloads_as_markdown_with_each_source_once() -> None:
    passage = Passage(
        "Am 7. März tagte sie. Danach mehr.", "bericht.pdf", "Bericht", "2018-03-07", 2, 1.0
    )
    citations = [
        Citation(1, passage, "Am 7. März tagte sie."),
        Citation(2, passage, "Danach mehr."),
    ]
    answer = Answer(
        "Wann?", "Am 7. März tagte sie. [1] Danach mehr. [2]", True, citations, [passage]
    )
    text = conversation_markdown([("Wann?", answer)], datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert "Gespeichert am 02.01.2026 um 03:04 Uhr" in text
    assert "## Frage 1: Wann?" in text and "Danach mehr. [1]" in text and "[2]" not in text
    assert "[1] Bericht (07.03.2018, S. 2), Datei: bericht.pdf" in text
    assert "> Am 7. März tagte sie. … Danach mehr." in text
