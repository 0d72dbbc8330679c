"""How extracted titles and dates are compared with a reference (dev-set MANIFEST files).

Used by ``bench/metadata.py`` and the loading tests, so both judge alike.
"""

from __future__ import annotations

import re
import unicodedata


def _fold(text: str) -> str:
    """Case, quotes and the punctuation between title parts (':', ' – ', '( )') ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[„“”\"'‚‘’«»()]|(?<=\s)[–—-](?=\s)|:(?=\s)", " ", text)
    return " ".join(text.split())


def _main_part(title: str) -> str:
    return re.split(r": | [–—-] | \(", title, maxsplit=1)[0]


def date_matches(extracted: str | None, expected: str | None) -> bool:
    """Exact at the source's precision: a month-only date matches the manifest's month (the
    manifest writes an unknown day as 01); a full date must match the day."""
    if not expected or not extracted:
        return extracted == expected
    return expected.startswith(extracted)


def title_matches(extracted: str, expected: str) -> bool:
    """The manifest title, or the same main part (the title before its subtitle)."""
    if _fold(extracted) == _fold(expected):
        return True
    return _fold(_main_part(extracted)) == _fold(_main_part(expected))
