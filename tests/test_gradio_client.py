"""The running app as other programs see it: the ``/frage`` API and the ``/dokumente/`` route.

Also: a document ingested while the app runs is answered on the next question, no restart.
"""

from __future__ import annotations

import http.client
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from ui_fixtures import (
    DEVSET_QUESTION,
    FOLLOW_UP,
    LATE_DOCUMENT,
    LATE_QUESTION,
    MAKER_HTML,
    RUECKBLICK_MD,
    SCHLAGLICHT_TXT,
    START_PDF,
    RunningApp,
)

from assistant.ingest import ingest

pytest_plugins = ["ui_fixtures"]
REFUSAL = "Dazu finde ich in den Dokumenten nichts"


@pytest.fixture(scope="module")
def client(running_app: RunningApp) -> Iterator[Client]:
    client = Client(running_app.url, verbose=False)
    yield client
    client.close()


def test_api_is_the_only_public_endpoint(client: Client) -> None:
    api = client.view_api(print_info=False, return_format="dict")
    assert isinstance(api, dict)
    assert list(api["named_endpoints"]) == ["/frage"]
    assert [p["parameter_name"] for p in api["named_endpoints"]["/frage"]["parameters"]] == [
        "question",
        "history",
    ]
    assert api["unnamed_endpoints"] == {}


def test_api_answers_with_text_and_numbered_sources(
    client: Client, running_app: RunningApp
) -> None:
    text, sources = client.predict(DEVSET_QUESTION, api_name="/frage")
    assert "[1]" in text
    assert [source["n"] for source in sources] == list(range(1, len(sources) + 1))
    first = sources[0]
    assert set(first) >= {"n", "source", "title", "date", "page", "text", "quote", "url"}
    # the quote holds the sentences of this passage that the answer states, joined by " … "
    assert all(part in text for part in first["quote"].split(" … "))
    schlaglicht = next(s for s in sources if s["source"] == SCHLAGLICHT_TXT)
    assert schlaglicht["date"] == "2016-11-13"
    assert schlaglicht["url"] == f"/dokumente/{SCHLAGLICHT_TXT}"
    document = httpx.get(running_app.url.rstrip("/") + schlaglicht["url"])
    assert document.status_code == 200 and "Schlaglicht" in document.text


def test_api_streams_partial_answers_before_the_sources(client: Client) -> None:
    job = client.submit(DEVSET_QUESTION, [], api_name="/frage")
    job.result(timeout=60)
    outputs = job.outputs()
    assert len(outputs) >= 2, "the answer was not streamed"
    texts = [text for text, _ in outputs]
    assert all(len(a) < len(b) for a, b in itertools.pairwise(texts))
    assert outputs[0][1] == [] and outputs[-1][1], "sources come with the complete answer"


def test_api_follow_up_uses_the_history(client: Client) -> None:
    alone, _ = client.predict(FOLLOW_UP, api_name="/frage")
    assert alone.startswith(REFUSAL)
    first, _ = client.predict(DEVSET_QUESTION, api_name="/frage")
    history = [
        {"role": "user", "content": DEVSET_QUESTION},
        {"role": "assistant", "content": first},
    ]
    text, sources = client.predict(FOLLOW_UP, history, api_name="/frage")
    assert not text.startswith(REFUSAL)
    assert SCHLAGLICHT_TXT in {source["source"] for source in sources}


def test_api_pdf_sources_link_to_their_page(client: Client) -> None:
    _, sources = client.predict("Wo hat die VDI/VDE-IT ihren Hauptsitz?", api_name="/frage")
    pdf = next(s for s in sources if s["source"] == START_PDF)
    assert pdf["page"] and pdf["url"] == f"/dokumente/{START_PDF}#page={pdf['page']}"


@pytest.mark.parametrize(
    ("question", "history", "message"),
    [
        ("   ", [], "Bitte geben Sie eine Frage ein."),
        ("Wie " * 200, [], "zu lang"),
        ("Was ist ein Schlaglicht?", [{"role": "bot"}], "Verlauf"),
    ],
)
def test_api_refuses_bad_input_with_a_german_message(
    client: Client, question: str, history: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(question, history, api_name="/frage")


def test_new_document_is_answered_after_ingest_without_restart(
    client: Client, running_app: RunningApp, late_document: Path
) -> None:
    before, earlier_sources = client.predict(LATE_QUESTION, api_name="/frage")
    # the fact is unknown before the ingest ("Stadthalle Chemnitz" alone is not: the Maker
    # Faire took place there too, and may be shown as the closest passage)
    assert "20. September 2019" not in before
    assert LATE_DOCUMENT not in {s["source"] for s in earlier_sources}
    report = ingest([running_app.settings.corpus_dir], running_app.settings, quiet=True)
    assert report.added == [LATE_DOCUMENT]
    text, sources = client.predict(LATE_QUESTION, api_name="/frage")
    assert "20. September 2019 in der Stadthalle Chemnitz" in text
    assert sources[0]["source"] == LATE_DOCUMENT


def test_first_start_ingested_the_corpus(running_app: RunningApp) -> None:
    assert "fehlt oder ist leer: lese zuerst" in running_app.log()


def _raw_get(app: RunningApp, path: str) -> http.client.HTTPResponse:
    """GET exactly ``path`` (no client-side normalisation of ``..`` or percent escapes)."""
    address = urlsplit(app.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse()


@pytest.fixture
def corpus_traps(running_app: RunningApp) -> Iterator[None]:
    """A hidden file and a symlink that points out of the corpus, at the server's log."""
    corpus = running_app.settings.corpus_dir
    hidden, link = corpus / ".versteckt.txt", corpus / "verweis-nach-aussen.txt"
    hidden.write_text("geheim", encoding="utf-8")
    os.symlink(corpus.parent / "server.log", link)
    try:
        yield
    finally:
        link.unlink()
        hidden.unlink()


@pytest.mark.usefixtures("corpus_traps")
@pytest.mark.parametrize(
    "path",
    [
        "/dokumente/../pyproject.toml",
        "/dokumente/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/dokumente/..%2f..%2fserver.log",
        "/dokumente/%2E%2E%2Fserver.log",
        "/dokumente//etc/passwd",
        "/dokumente/%2Fetc%2Fpasswd",
        "/dokumente/.versteckt.txt",
        "/dokumente/verweis-nach-aussen.txt",
        "/dokumente/gibt-es-nicht.pdf",
        "/dokumente/",
    ],
)
def test_document_route_refuses_everything_outside_the_corpus(
    running_app: RunningApp, path: str
) -> None:
    response = _raw_get(running_app, path)
    assert response.status == 404
    body = response.read()
    assert b"geheim" not in body and b"Started server process" not in body


@pytest.mark.parametrize(
    ("name", "content_type", "sandboxed"),
    [
        (SCHLAGLICHT_TXT, "text/plain; charset=utf-8", True),
        (START_PDF, "application/pdf", False),
    ],
)
def test_document_route_serves_corpus_files(
    running_app: RunningApp, name: str, content_type: str, sandboxed: bool
) -> None:
    response = httpx.get(f"{running_app.url}dokumente/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content == (running_app.settings.corpus_dir / name).read_bytes()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert ("sandbox" in response.headers.get("content-security-policy", "")) == sandboxed


def test_missing_documents_get_a_german_html_page(running_app: RunningApp) -> None:
    for path in ("dokumente/gibt-es-nicht.pdf", "ansicht/gibt-es-nicht.pdf", "ansicht/a/b/c.txt"):
        response = httpx.get(f"{running_app.url}{path}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="de">' in response.text and "Dokument nicht gefunden" in response.text
        assert "detail" not in response.text  # no FastAPI JSON


def test_viewer_shows_the_clean_text_of_every_format_with_the_chunk_marked(
    running_app: RunningApp,
) -> None:
    for name in (SCHLAGLICHT_TXT, START_PDF, RUECKBLICK_MD, MAKER_HTML):
        page = httpx.get(f"{running_app.url}ansicht/{name}?stelle=0").text
        assert '<mark id="stelle">' in page and f"<dd>{name}" in page
        text = page.split('<div class="text">', 1)[1]
        assert "](" not in text and "<script" not in page  # Markdown links and scripts are gone
    html = httpx.get(f"{running_app.url}ansicht/{MAKER_HTML}").text
    assert "Maker Faire Sachsen" in html
    assert "Cookies" not in html and "Login für Journalisten" not in html  # banner, navigation
    pdf = httpx.get(f"{running_app.url}ansicht/{START_PDF}").text
    assert f"dokumente/{START_PDF}#page=1" in pdf and "Seite 1 im PDF öffnen" in pdf


def test_document_list_names_every_indexed_document(running_app: RunningApp) -> None:
    page = httpx.get(f"{running_app.url}bestand").text
    assert "Welche Dokumente kennt der Assistent?" in page
    for name in (SCHLAGLICHT_TXT, START_PDF):
        assert f'href="ansicht/{name}"' in page
