"""Safe HTML for answers and sources, the corpus file check, and the chat handlers' input rules."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant.documents import Answer, Citation, Passage
from assistant.feedback import FeedbackStore
from assistant.rendering import (
    document_url,
    escape,
    quote_spans,
    render_answer,
    render_excerpt,
    render_header,
    render_question,
)
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import ChatHandlers, Exchange, corpus_file, document_response, history_turns

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = (
    '<script>alert("x")</script> <img src=x onerror=alert(1)> [klick](javascript:alert(1)) '
    "**fett** `code` $$x^2$$ https://example.org ~~weg~~ \\[ &amp; ' \""
)
OWN_TAGS = {"div", "p", "section", "h3", "ul", "li", "span", "strong", "blockquote", "mark", "a"}


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
    assert hrefs == ["dokumente/b%C3%B6se%20%5Bx%5D%28y%29.txt"]
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
    assert 'href="dokumente/bericht.pdf#page=3"' in html and "Dokument öffnen (PDF, S. 3)" in html


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


def test_source_without_file_in_the_corpus_gets_no_link() -> None:
    html = render_answer(hostile_answer(), lambda p: None)
    assert "<a " not in html and "Datei: böse &#91;x&#93;&#40;y&#41;.txt" in html


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
    header = render_header("3 Dokumente, neuestes vom 07.03.2018")
    assert "KI-Assistent" in header and "Datenbestand: 3 Dokumente" in header
    assert "maßgeblich sind die verlinkten Quellen" in header


def test_core_modules_do_not_import_gradio() -> None:
    code = (
        "import sys, assistant.cli, assistant.service, assistant.rendering, assistant.feedback; "
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
    return ChatHandlers(Assistant(settings), FeedbackStore(tmp_path / "feedback"), tmp_path)


def test_empty_question_is_ignored(handlers: ChatHandlers) -> None:
    earlier = [Exchange("Frage?", Answer("Frage?", "Antwort.", True, [], []))]
    updates = list(handlers.answer("  \n ", earlier))
    assert len(updates) == 1
    chat, exchanges, box, notice = updates[0]
    assert exchanges == earlier and len(chat) == 2 and box == "" and notice == ""


def test_too_long_question_stays_in_the_box_with_a_german_notice(handlers: ChatHandlers) -> None:
    question = "Wie " * 20
    [(chat, exchanges, box, notice)] = list(handlers.answer(question, []))
    assert chat == [] and exchanges == [] and box == question
    assert "zu lang" in notice and "höchstens 50 Zeichen" in notice


def test_assistant_error_while_answering_gives_its_german_message(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding_model="unbekannt:modell")
    handlers = ChatHandlers(Assistant(settings), FeedbackStore(tmp_path / "feedback"), tmp_path)
    pending, failed = list(handlers.answer("Was ist ein Schlaglicht?", []))
    assert len(pending[0]) == 2 and pending[2] == ""  # question and "searching" shown at once
    chat, exchanges, box, notice = failed
    assert chat == [] and exchanges == [] and box == "Was ist ein Schlaglicht?"
    assert "Unbekanntes Embedding-Modell" in notice


def test_unexpected_failure_shows_a_friendly_notice_and_is_logged(
    handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(question: str, history: object) -> Iterator[Answer]:
        yield Answer(question, "Ein Teil", True, [], [], partial=True)
        raise RuntimeError("kaputt")

    monkeypatch.setattr(handlers.assistant, "stream", broken)
    *_, (chat, exchanges, box, notice) = handlers.answer("Was ist ein Schlaglicht?", [])
    assert chat == [] and exchanges == [] and box == "Was ist ein Schlaglicht?"
    assert "Entschuldigung" in notice and "kaputt" not in notice and "Traceback" not in notice
    assert "kaputt" in caplog.text


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
