"""Is an extracted text layer language at all, and is a page more than a cookie wall?

A PDF whose fonts map glyphs to the wrong characters extracts as printable nonsense; its
tell-tales are ``(cid:NN)`` runs, replacement characters, unusual character classes and, above
all, almost no common German or English words (in real text every third word or so is one:
the dev sets' pages have at least 15 %).
"""

from __future__ import annotations

import re
import unicodedata

from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_GERMAN

_COMMON_WORDS = frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_EN_PLUS)
_CID = re.compile(r"\(cid:\d+\)")
_WORD = re.compile(r"[^\W\d_]{2,}")
_MIN_WORDS = 30  # fewer words say too little to judge
# Pages of 30+ words in the dev sets: at least 21.6 % (devset) / 32.0 % (devset2) common words;
# the same pages with a shifted glyph map: at most 0.5 % / 1.0 %. The bound sits between both.
_MIN_COMMON_SHARE = 0.04
_MIN_PLAIN_SHARE = 0.75  # letters, digits, spaces and ordinary punctuation
_MAX_REPLACEMENT_SHARE = 0.01
_CONSENT = re.compile(
    r"cookie|einwillig|zustimm|datenschutz|consent|tracking|akzeptier|ablehnen|"
    r"drittanbieter|personalisiert|analyse-?dienste|privacy",
    re.IGNORECASE,
)
_CONSENT_SHARE = 0.5  # of sentences: a page whose main text is mostly a consent notice


def _plain(ch: str) -> bool:
    return (
        ch.isalnum() or ch.isspace() or (unicodedata.category(ch)[0] in "PS" and ord(ch) < 0x2100)
    )


def unreadable_reason(text: str) -> str | None:
    """Why ``text`` is no readable language (German), or None if it reads as language."""
    stripped = "".join(text.split())
    if not stripped:
        return None
    cids = _CID.findall(text)
    if len(cids) >= 3 and sum(map(len, cids)) > 0.05 * len(stripped):
        return "die Schriften verweisen nur auf Glyphennummern „(cid:…)“"
    replacements = stripped.count("\ufffd")
    if replacements >= 3 and replacements > _MAX_REPLACEMENT_SHARE * len(stripped):
        return "viele Zeichen sind nicht darstellbar (�)"
    if len(stripped) >= 200 and sum(map(_plain, stripped)) < _MIN_PLAIN_SHARE * len(stripped):
        return "der Text besteht überwiegend aus Sonderzeichen"
    words = _WORD.findall(text.casefold())
    if len(words) >= _MIN_WORDS and sum(
        w in _COMMON_WORDS for w in words
    ) < _MIN_COMMON_SHARE * len(words):
        return "er enthält kaum bekannte deutsche oder englische Wörter (falsch kodierte Schriften)"
    return None


def is_consent_page(text: str) -> bool:
    """True if most sentences of the page are about cookies, consent and tracking."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n\n", text) if len(s.split()) >= 3]
    if len(sentences) < 2:
        return False
    return sum(bool(_CONSENT.search(s)) for s in sentences) >= _CONSENT_SHARE * len(sentences)
