"""Standalone German HTML pages of the web chat: source viewer, document list, not-found page.

Everything from a document is escaped. Links are relative, so the app also works below a path
prefix; ``root`` is the way back from a page to the app's root ("" or "../", …).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from assistant.documents import format_date
from assistant.rendering import document_url
from assistant.store.manifest import DocumentRecord
from assistant.viewer import KIND_NAMES, DocumentView, ViewedPage

APP_TITLE = "Strategie-Assistent Sachsen"
VIEWER_ROUTE = "ansicht"
DOCUMENT_LIST_ROUTE = "bestand"
DOCUMENT_LIST_TITLE = "Welche Dokumente kennt der Assistent?"
MARK_ID = "stelle"

_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  margin: 0 auto; max-width: 52rem; padding: 1rem; line-height: 1.55; color: #1f2937;
  background: #ffffff; }
a { color: #1d4ed8; text-decoration: underline; }
a:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.sprung { position: absolute; left: -999px; }
.sprung:focus { position: static; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; padding: 0; }
h1 { font-size: 1.5rem; line-height: 1.3; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.text { white-space: pre-line; overflow-wrap: anywhere; }
mark { background: #fde68a; color: #111827; scroll-margin-top: 4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #d1d5db;
  vertical-align: top; }
td { overflow-wrap: anywhere; }
"""


def _page(title: str, body: str, root: str) -> str:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} – {APP_TITLE}</title>"
        f"<style>{_STYLE}</style></head><body>"
        '<a class="sprung" href="#inhalt">Zum Inhalt springen</a>'
        '<header><nav aria-label="Navigation"><ul>'
        f'<li><a href="{root or "./"}">Zurück zum Chat</a></li>'
        f'<li><a href="{root}{DOCUMENT_LIST_ROUTE}">Alle Dokumente</a></li>'
        f'</ul></nav></header><main id="inhalt">{body}</main></body></html>'
    )


def root_of(source: str) -> str:
    """The way back to the app's root from the viewer page of ``source``."""
    return "../" * (source.count("/") + 1)


def viewer_url(source: str, position: int | None = None) -> str:
    """Relative URL (from the app's root) of a document's viewer page, at a chunk if given."""
    url = f"{VIEWER_ROUTE}/{quote(source, safe='/')}"
    return f"{url}?stelle={position}#{MARK_ID}" if position is not None else url


def _marked(page: ViewedPage, position: int | None) -> str:
    if position not in page.spans:
        return escape(page.text)
    start, end = page.spans[position]
    return (
        f'{escape(page.text[:start])}<mark id="{MARK_ID}">{escape(page.text[start:end])}</mark>'
        f"{escape(page.text[end:])}"
    )


def render_viewer(view: DocumentView, position: int | None, has_file: bool) -> str:
    """The document's clean text with the chunk at ``position`` marked, and its metadata."""
    record = view.record
    root = root_of(record.source)
    is_pdf = record.source.lower().endswith(".pdf")
    original = (
        f' – <a href="{root}{escape(document_url(record.source))}">Originaldatei öffnen'
        f"{' (PDF)' if is_pdf else ''}</a>"
        if has_file
        else ""
    )
    details = [
        ("Datum", escape(format_date(record.date))),
        ("Herausgeber", escape(record.publisher or "nicht angegeben")),
        ("Art", escape(view.kind_name)),
        ("Datei", f"{escape(record.source)}{original}"),
    ]
    sections = []
    for page in view.pages:
        heading = ""
        if page.number is not None:
            link = (
                f' <a href="{root}{escape(document_url(record.source, page.number))}">'
                f"Seite {page.number} im PDF öffnen</a>"
                if has_file
                else ""
            )
            heading = (
                f"<h2>Seite {page.number}</h2><p>{link}</p>"
                if link
                else (f"<h2>Seite {page.number}</h2>")
            )
        sections.append(
            f'<section>{heading}<div class="text">{_marked(page, position)}</div></section>'
        )
    hint = (
        "<p>Gelb markiert ist die Stelle, die der Assistent zitiert hat.</p>"
        if any(position in page.spans for page in view.pages)
        else ""
    )
    body = (
        f"<h1>{escape(record.title)}</h1><dl>"
        + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in details)
        + "</dl><p>Der Text, so wie der Assistent ihn gelesen hat (ohne Navigation und "
        f"Formatierung).</p>{hint}" + "".join(sections)
    )
    return _page(record.title, body, root)


def render_document_list(records: list[DocumentRecord]) -> str:
    """All documents of the index: title (linked to the viewer), date, kind, publisher."""
    rows = "".join(
        f'<tr><td><a href="{escape(viewer_url(r.source))}">{escape(r.title)}</a></td>'
        f"<td>{escape(format_date(r.date))}</td>"
        f"<td>{escape(KIND_NAMES.get(r.kind, 'Dokument'))}</td>"
        f"<td>{escape(r.publisher or 'nicht angegeben')}</td></tr>"
        for r in records
    )
    count = f"{len(records)} Dokument" + ("" if len(records) == 1 else "e")
    body = (
        f"<h1>{DOCUMENT_LIST_TITLE}</h1><p>Der Assistent antwortet nur aus diesen {count}.</p>"
        '<table><thead><tr><th scope="col">Titel</th><th scope="col">Datum</th>'
        '<th scope="col">Art</th><th scope="col">Herausgeber</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    return _page(DOCUMENT_LIST_TITLE, body, "")


def render_not_found(root: str, what: str = "Dokument") -> str:
    """The German 404 page."""
    body = (
        f"<h1>{escape(what)} nicht gefunden</h1><p>Die Adresse ist falsch oder das Dokument ist "
        "nicht mehr im Datenbestand. Alle Dokumente, die der Assistent kennt, finden Sie unter "
        f'<a href="{root}{DOCUMENT_LIST_ROUTE}">Alle Dokumente</a>.</p>'
    )
    return _page(f"{what} nicht gefunden", body, root)
