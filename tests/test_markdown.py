"""Markdown through a real parser: reference links, code fences, HTML blocks, tables, lists."""

from __future__ import annotations

from pathlib import Path

from assistant.loading import load_document
from assistant.loading.markdown import front_matter, markdown_to_text

SOURCE = """\
---
titel: "Leichtbau-Allianz gründet Verein"
datum: 2017-10-30
herausgeber: [Sächsisches Staatsministerium für Wissenschaft, TU Dresden]
schlagworte:
  - Leichtbau
  - Forschung
---

# Leichtbau-Allianz Sachsen gründet Verein

Die Allianz bündelt die Kompetenzen der Universitäten, wie der [Bericht][1] und die
[Satzung](https://example.org/satzung.pdf "Satzung") zeigen.

```python
print("kein Inhalt für Bürger")
```

    eingerückter Code bleibt auch draußen

<div class="hinweis"><p>Die Gründung fand in <b>Freiberg</b> statt.</p><script>track()</script></div>

| Mitglied | Ort | Gründungsjahr |
|---|---|---|
| TU Dresden | Dresden | 1828 |
| TU Bergakademie | Freiberg | 1765 |

- erstes Ziel: Forschung vernetzen
- zweites Ziel: Transfer stärken
  über mehrere Zeilen

1. Satzung unterzeichnen
2. Vorstand wählen

[1]: https://example.org/bericht.pdf
"""


def test_markdown_is_parsed_not_pattern_matched(tmp_path: Path) -> None:
    path = tmp_path / "meldung.md"
    path.write_text(SOURCE, encoding="utf-8")
    document = load_document(path, path.name, 10**6)
    text = document.text
    assert document.title == "Leichtbau-Allianz Sachsen gründet Verein"
    assert document.date == "2017-10-30"
    assert document.publisher == "Sächsisches Staatsministerium für Wissenschaft, TU Dresden"
    assert "wie der Bericht und die Satzung zeigen." in text  # reference and inline links
    assert "example.org" not in text and "[1]" not in text
    assert "print(" not in text and "eingerückter Code" not in text  # code is no content
    assert "Die Gründung fand in Freiberg statt." in text  # HTML block keeps its words
    assert "track()" not in text and "<" not in text
    assert "Mitglied: TU Dresden – Ort: Dresden – Gründungsjahr: 1828." in text
    assert "|" not in text
    assert "- erstes Ziel: Forschung vernetzen" in text
    assert "- zweites Ziel: Transfer stärken über mehrere Zeilen" in text
    assert "- Satzung unterzeichnen" in text and "- Vorstand wählen" in text
    for syntax in ("---", "titel:", "schlagworte", "```", "**", "](", "# "):
        assert syntax not in text


def test_front_matter_lists_and_dates_are_yaml() -> None:
    fields, body = front_matter(SOURCE)
    assert fields["schlagworte"] == ["Leichtbau", "Forschung"]
    assert str(fields["datum"]) == "2017-10-30"
    assert body.startswith("\n# Leichtbau-Allianz")


def test_text_without_front_matter_keeps_its_first_rule() -> None:
    fields, body = front_matter("---\nkein: [yaml\n---\nText")
    assert fields == {}
    assert body.startswith("---")
    assert markdown_to_text("Absatz eins\n\n---\n\nAbsatz zwei") == "Absatz eins\n\nAbsatz zwei"
