"""Safe HTML for answers and sources, the corpus file check, and the chat handlers' input rules."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import gradio as gr
import pytest

from assistant.document_routes import corpus_file, document_response
from assistant.documents import Answer, Citation, Passage
from assistant.feedback import FeedbackStore
from assistant.rendering import (
    document_url,
    escape,
    group_citations,
    quote_spans,
    render_answer,
    render_excerpt,
    render_header,
    render_question,
)
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import ChatHandlers, Exchange, history_turns

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = (
    '<script>alert("x")</script> <img src=x onerror=alert(1)> [klick](javascript:alert(1)) '
    "**fett** `code` $$x^2$$ https://example.org ~~weg~~ \\[ &amp; ' \""
)
OWN_TAGS = {
    "div", "p", "section", "h3", "ul", "li", "span", "strong", "blockquote", "mark", "a", "button",
}  # fmt: skip


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def passage(
    text: str, source: str = "bericht.pdf", title: str = "Bericht", page: int | None = 3
) -> Passage:
    return Passage(text=text, source=source, title=title, date="2018-03-07", page=page, score=1.0)


def hostile_answer() -> Answer:
    quoted = f"Der Satz mit {HOSTILE} steht hier."
    cited = passage(f"Davor. {quoted} Danach.", source="böse [x](y).txt", title=HOSTILE, page=None)
    return Answer("Frage?", f"{quoted} [1]", True, [Citation(1, cited, quoted)], [cited])


def test_escape_leaves_no_markup_markdown_or_latex_syntax() -> None:
    escaped = escape(HOSTILE)
    assert not set("<>\"'[]()*_`$\\~:") & set(escaped.replace("&#", "").replace(";", ""))
    assert parse(escaped).text == HOSTILE  # a browser shows the original text


def test_hostile_document_text_renders_only_own_tags_and_links() -> None:
    html = render_answer(hostile_answer(), lambda p: document_url(p.source, p.page))
    parsed = parse(html)
    assert {tag for tag, _ in parsed.tags} <= OWN_TAGS
    assert all(not name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs == ["ansicht/b%C3%B6se%20%5Bx%5D%28y%29.txt?stelle=0#stelle"]
    assert parsed.text.count(HOSTILE) == 4  # answer, title, quote, and the link's hidden title


def test_sources_show_number_title_date_page_highlighted_quote_and_link() -> None:
    cited = passage("Einleitung. Am 7. März 2018 tagte die Konferenz in Hellerau. Schluss.")
    answer = Answer(
        "Wann?",
        "Am 7. März 2018 tagte die Konferenz in Hellerau. [1]",
        True,
        [Citation(1, cited, "Am 7. März 2018 tagte die Konferenz in Hellerau.")],
        [cited],
    )
    html = render_answer(answer, lambda p: document_url(p.source, p.page))
    assert '<span class="quelle-nr">[1]</span> <strong>Bericht</strong>' in html
    assert "(07.03.2018, S. 3)" in html
    assert "<mark>Am 7. März 2018 tagte die Konferenz in Hellerau.</mark>" in html
    assert 'href="dokumente/bericht.pdf#page=3"' in html and "PDF öffnen, S. 3" in html
    assert 'href="ansicht/bericht.pdf?stelle=0#stelle"' in html


def test_citations_of_the_same_page_share_one_number() -> None:
    first = passage("Erster Satz. Zweiter Satz.")
    other_chunk = passage("Dritter Satz.")
    other_page = passage("Vierter Satz.", page=4)
    citations = [
        Citation(1, first, "Erster Satz."),
        Citation(2, other_page, "Vierter Satz."),
        Citation(3, first, "Zweiter Satz."),
        Citation(4, other_chunk, "Dritter Satz."),
    ]
    text = "Erster Satz. [1] Vierter Satz. [2] Zweiter Satz. [3] Dritter Satz. [4]"
    merged, sources = group_citations(text, citations)
    assert merged == "Erster Satz. [1] Vierter Satz. [2] Zweiter Satz. [1] Dritter Satz. [1]"
    assert [s.n for s in sources] == [1, 2]
    assert [c.quote for c in sources[0].citations] == [
        "Erster Satz. … Zweiter Satz.",
        "Dritter Satz.",
    ]
    html = render_answer(Answer("F?", text, True, citations, []), lambda p: None)
    assert html.count('class="quelle-nr"') == 2 and html.count("<blockquote") == 3
    assert "[3]" not in html and "[4]" not in html


def test_related_topics_of_a_refusal_are_buttons_that_ask_about_them() -> None:
    named = passage("Text.", title="Schlaglicht Kreativwirtschaft")
    unnamed = passage("Text.", title="Anderes")
    text = "Dazu finde ich in den Dokumenten nichts. Die Dokumente behandeln zum Beispiel: „Schlaglicht Kreativwirtschaft“."
    html = render_answer(Answer("F?", text, False, [], [named, unnamed]), lambda p: None)
    parsed = parse(html)
    buttons = [
        attrs for tag, attrs in parsed.tags if tag == "button" and "thema" in (attrs["class"] or "")
    ]
    assert [b["value"] for b in buttons] == ["Worum geht es in „Schlaglicht Kreativwirtschaft“?"]
    assert "behandeln zum Beispiel" not in parsed.text and "quellen" not in html
    plain = render_answer(
        Answer("F?", "Dazu finde ich nichts.", False, [], [named]), lambda p: None
    )
    assert "thema" not in plain  # no topics named: no buttons


def test_partial_answer_has_no_sources_yet_and_refusal_has_none() -> None:
    cited = passage("Ein Satz, der zitiert wird.")
    partial = Answer(
        "F?",
        "Ein Satz",
        True,
        [Citation(1, cited, "Ein Satz, der zitiert wird.")],
        [],
        partial=True,
    )
    assert "quellen" not in render_answer(partial, lambda p: "x")
    assert "antwort-laeuft" in render_answer(partial, lambda p: "x")
    refusal = Answer("F?", "Dazu finde ich in den Dokumenten nichts.", False, [], [cited])
    assert "quellen" not in render_answer(refusal, lambda p: "x")


def test_source_without_file_in_the_corpus_links_only_to_the_viewer() -> None:
    html = render_answer(hostile_answer(), lambda p: None)
    assert html.count("<a ") == 1 and 'href="ansicht/' in html
    assert "Datei: böse &#91;x&#93;&#40;y&#41;.txt" in html


def test_quote_spans_ignore_whitespace_and_find_each_quoted_sentence() -> None:
    text = "Erster Satz.\nZweiter   Satz\nmit Umbruch. Dritter Satz."
    spans = quote_spans(text, "Erster Satz. … Zweiter Satz mit Umbruch.")
    assert [text[start:end] for start, end in spans] == [
        "Erster Satz.",
        "Zweiter   Satz\nmit Umbruch.",
    ]
    assert quote_spans("Ein Satz. Mehr.", "Ein Satz. … Ein Satz.") == [(0, 9)]
    assert quote_spans(text, "Dritter Satz. … Fehlt ganz.") == [(text.index("Dritter"), len(text))]


def test_excerpt_cuts_long_passages_at_word_boundaries_around_the_quote() -> None:
    text = " ".join(f"wort{i}" for i in range(200)) + " Das Zitat steht hier. " + "ende " * 200
    excerpt = render_excerpt(text, "Das Zitat steht hier.", context=50)
    assert excerpt.startswith("… wort") and excerpt.endswith(" …")
    assert "<mark>Das Zitat steht hier.</mark>" in excerpt
    assert len(excerpt) < 200
    assert render_excerpt("Kurz.", "") == "Kurz."


def test_document_url_quotes_names_and_only_pdfs_get_a_page() -> None:
    assert document_url("a b/ü.pdf", 2) == "dokumente/a%20b/%C3%BC.pdf#page=2"
    assert document_url("seite.html", 2) == "dokumente/seite.html"
    assert document_url("javascript:alert(1).pdf") == "dokumente/javascript%3Aalert%281%29.pdf"


def test_question_and_header_are_escaped() -> None:
    assert render_question("<b>Hallo</b>\n\nNoch") == (
        '<div class="frage"><p>&#60;b&#62;Hallo&#60;/b&#62;</p><p>Noch</p></div>'
    )
    header = render_header("3 Dokumente, neuestes vom 07.03.2018", "Ministerium <X>")
    assert "KI-Assistent" in header and "Datenbestand: 3 Dokumente" in header
    assert "maßgeblich sind die verlinkten Quellen" in header
    assert "(Herausgeber: Ministerium &#60;X&#62;)" in header and 'href="bestand"' in header
    assert "Herausgeber" not in render_header("1 Dokument", None)


def test_core_modules_do_not_import_gradio() -> None:
    code = (
        "import sys, assistant.cli, assistant.service, assistant.rendering, assistant.feedback, "
        "assistant.viewer, assistant.pages, assistant.page_shell, assistant.transcript, "
        "assistant.cli_feedback; "
        "sys.exit('gradio' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# --- The parts of assistant.ui that need no running server ---------------------------------


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "unter").mkdir(parents=True)
    (folder / "unter" / "bericht.pdf").write_bytes(b"%PDF-1.4")
    (folder / "notiz.txt").write_text("Notiz", encoding="utf-8")
    (folder / ".geheim.txt").write_text("geheim", encoding="utf-8")
    (folder / "programm.exe").write_bytes(b"MZ")
    (tmp_path / "draussen.txt").write_text("draußen", encoding="utf-8")
    os.symlink(tmp_path / "draussen.txt", folder / "verweis.txt")
    os.symlink(folder / "notiz.txt", folder / "innen.txt")
    return folder


@pytest.mark.parametrize(
    "requested",
    [
        "../draussen.txt",
        "unter/../../draussen.txt",
        "/etc/passwd",
        "verweis.txt",
        ".geheim.txt",
        "unter/.././.geheim.txt",
        "programm.exe",
        "unter",
        "",
        "fehlt.pdf",
        "notiz.txt\x00.pdf",
    ],
)
def test_corpus_file_refuses_anything_but_supported_files_inside(
    corpus: Path, requested: str
) -> None:
    assert corpus_file(corpus, requested) is None


def test_corpus_file_finds_files_inside_also_through_inner_symlinks(corpus: Path) -> None:
    assert corpus_file(corpus, "unter/bericht.pdf") == (corpus / "unter" / "bericht.pdf").resolve()
    assert corpus_file(corpus, "innen.txt") == (corpus / "notiz.txt").resolve()


def test_html_documents_open_sandboxed_and_text_as_utf8(tmp_path: Path) -> None:
    page = tmp_path / "seite.html"
    page.write_text("<script>alert(1)</script><p>Text</p>", encoding="utf-8")
    html = document_response(page)
    assert html.media_type == "text/html" and html.body == page.read_bytes()
    assert html.headers["content-security-policy"].startswith("sandbox;")
    note = tmp_path / "notiz.txt"
    note.write_bytes("Größe: 5 € – Maße".encode("cp1252"))
    text = document_response(note)
    assert text.media_type == "text/plain; charset=utf-8"
    assert text.body.decode("utf-8") == "Größe: 5 € – Maße"
    assert text.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def handlers(tmp_path: Path) -> ChatHandlers:
    """Handlers on an assistant without index: input rules are checked before any search."""
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path, max_question_chars=50)
    return ChatHandlers(Assistant(settings), FeedbackStore(tmp_path / "feedback"), settings)


def test_empty_question_gets_a_hint_and_is_not_accepted(handlers: ChatHandlers) -> None:
    earlier = [Exchange("Frage?", Answer("Frage?", "Antwort.", True, [], []))]
    assert "Bitte geben Sie zuerst eine Frage ein" in handlers.check("  \n ", earlier)
    with pytest.raises(gr.Error):
        handlers.accept("  \n ", earlier)  # stops the chain: nothing is asked


def test_too_long_question_stays_in_the_box_with_a_german_notice(handlers: ChatHandlers) -> None:
    notice = handlers.check("Wie " * 20, [])
    assert "zu lang" in notice and "höchstens 50 Zeichen" in notice
    with pytest.raises(gr.Error):
        handlers.accept("Wie " * 20, [])


def test_a_question_is_shown_at_once_and_sending_waits_for_its_answer(
    handlers: ChatHandlers,
) -> None:
    assert handlers.check("Was ist ein Schlaglicht?", []) == ""
    chat, exchanges, box, send = handlers.accept("Was ist ein Schlaglicht?", [])
    assert [m["role"] for m in chat] == ["user", "assistant"] and "wartet" in chat[1]["content"]
    assert box == "" and send["interactive"] is False
    assert exchanges[-1].pending and handlers.release(exchanges) == gr.skip()
    # A second question while the first is pending is not lost: it stays in the box.
    assert "Ihre neue Frage bleibt im Eingabefeld" in handlers.check("Und wann?", exchanges)
    with pytest.raises(gr.Error):
        handlers.accept("Und wann?", exchanges)


def test_assistant_error_while_answering_gives_its_german_message(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding_model="unbekannt:modell")
    handlers = ChatHandlers(Assistant(settings), FeedbackStore(tmp_path / "feedback"), settings)
    _, accepted, *_ = handlers.accept("Was ist ein Schlaglicht?", [])
    searching, failed = list(handlers.answer(accepted))
    assert "Ich suche" in searching[0][1]["content"]
    chat, exchanges, _, notice = failed
    assert "Unbekanntes Embedding-Modell" in notice
    assert "Unbekanntes Embedding-Modell" in chat[1]["content"]
    assert chat[0]["content"].count("Schlaglicht") == 1 and not exchanges[-1].pending
    assert handlers.release(exchanges)["interactive"] is True


def test_unexpected_failure_shows_a_friendly_notice_and_is_logged(
    handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(question: str, history: object) -> Iterator[Answer]:
        yield Answer(question, "Ein Teil", True, [], [], partial=True)
        raise RuntimeError("kaputt")

    monkeypatch.setattr(handlers.assistant, "stream", broken)
    monkeypatch.setattr(handlers, "header", lambda: "Kopf")
    *_, (_, exchanges, _, notice) = handlers.answer([Exchange("Was ist ein Schlaglicht?")])
    assert "Entschuldigung" in notice and "kaputt" not in notice and "Traceback" not in notice
    assert "kaputt" in caplog.text and not exchanges[-1].pending


def test_follow_up_history_holds_answer_texts_without_sources() -> None:
    cited = passage("Satz.")
    exchanges = [
        Exchange(
            "Erste?", Answer("Erste?", "Satz. [1]", True, [Citation(1, cited, "Satz.")], [cited])
        ),
        Exchange("Zweite?", Answer("Zweite?", "Teil", True, [], [], partial=True)),
        Exchange("Dritte?"),
    ]
    turns = history_turns(exchanges)
    assert [(t.role, t.content) for t in turns] == [("user", "Erste?"), ("assistant", "Satz. [1]")]
