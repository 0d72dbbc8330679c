"""German lexical analysis for BM25: folding, stemming, compound splitting, typo repair.

"Foerderung" and "Förderung" fold to one form; "Industrie-Strategie", "Industriestrategie" and
"Strategie der Industrie" share the stems *industri* and *strategi*, because compounds are
split against the corpus's own vocabulary (saved with the index, so queries split alike).
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_GERMAN
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from spellchecker import SpellChecker

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ſ": "s"})
_TOKEN = re.compile(r"\d{1,3}(?:\.\d{3})+(?!\d)|\d+(?:[.,]\d+)*|[^\W\d_]+(?:[-/][^\W\d_]+)*")
_MIN_PART = 4  # shortest compound part that counts ("bau" in "Maschinenbau" does not)
# Longest token treated as a word: real German compounds stay below it; longer tokens (a text
# without spaces, a hash, a URL) are not split or repaired, which keeps analysis linear in length.
MAX_WORD_CHARS = 64
_LINKING = ("s", "es", "n", "en")
_CACHE_LIMIT = 200_000  # per-word caches are emptied beyond this (a server sees endless typos)
_EXTRA_STOPWORDS = """
    gibt gibts gab gabs beim eigentlich genau mal denn bitte wurde wurden worden ne so is hab
    wer wie was wann wo wohin woher warum wieso weshalb weswegen wozu wofuer womit wodurch
    woran worum worueber wovon welche welcher welches welchen welchem viele viel wieviel wieviele
    dokument dokumente dokumenten quelle quellen steht stehen sagen sagt
"""  # colloquial fillers, question words, and words about the corpus rather than its content
STOPWORDS = frozenset(
    w.translate(_FOLD) for w in (*STOPWORDS_GERMAN, *STOPWORDS_EN_PLUS)
) | frozenset(_EXTRA_STOPWORDS.split())


def fold(text: str) -> str:
    """Casefold and spell umlauts and ß out, so 'Förderung' and 'Foerderung' meet."""
    return text.casefold().translate(_FOLD)


def words(text: str, joined: bool = True) -> list[str]:
    """Folded word and number tokens; hyphenated words keep their parts (and joined form)."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(fold(text)):
        token = match.group()
        if token[0].isdigit():
            if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", token):
                tokens.append(token.replace(".", ""))  # 3.107 → 3107
            else:
                tokens.extend(part.lstrip("0") or "0" for part in re.split(r"[.,]", token))
            continue
        parts = re.split(r"[-/]", token)
        if len(parts) > 1 and joined:
            tokens.append("".join(parts))
        tokens.extend(parts)
    return tokens


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("german")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


@dataclass
class Vocabulary:
    """Folded surface words of the corpus with their frequency; drives splitting and typos."""

    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        counter: Counter[str] = Counter()
        for text in texts:
            counter.update(words(text))
        return cls(dict(counter))

    @functools.cached_property
    def stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in self.counts if len(w) >= _MIN_PART and not w.isdigit())

    @functools.cached_property
    def stem_counts(self) -> dict[str, int]:
        """How often each stem occurs in the corpus (all its word forms together)."""
        counts: dict[str, int] = {}
        for word, count in self.counts.items():
            key = stem(word)
            counts[key] = counts.get(key, 0) + count
        return counts

    @functools.cached_property
    def total_count(self) -> int:
        return sum(self.counts.values()) or 1

    @functools.cached_property
    def _typo_candidates(self) -> list[str]:
        return [w for w, n in self.counts.items() if len(w) >= 4 and not w.isdigit()]

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    @functools.cached_property
    def _sorted(self) -> list[str]:
        return sorted(w for w in self.counts if not w.isdigit())

    def knows(self, word: str) -> bool:
        """True if the corpus uses the word, a form of it, or a compound that starts or ends
        with it ('niveau' in 'wertschoepfungsniveau')."""
        known = self._known.get(word)
        if known is None:
            known = (
                word in self.counts
                or stem(word) in self.stems
                or (
                    len(word) >= 5
                    and (_has_prefix(self._sorted, word) or _has_prefix(self._reversed, word[::-1]))
                )
            )
            if len(self._known) >= _CACHE_LIMIT:
                self._known.clear()
            self._known[word] = known
        return known

    @functools.cached_property
    def _known(self) -> dict[str, bool]:
        return {}

    @functools.cached_property
    def _by_length(self) -> dict[int, list[str]]:
        buckets: dict[int, list[str]] = {}
        for word in self._typo_candidates:
            buckets.setdefault(len(word), []).append(word)
        return buckets

    def warm_up(self) -> None:
        """Build the lookup tables now (when an index opens), not on the first question."""
        for table in (self.stems, self.stem_counts, self._sorted, self._reversed, self._by_length):
            len(table)
        german_words()

    @functools.cached_property
    def _reversed(self) -> list[str]:
        return sorted(w[::-1] for w in self.counts if not w.isdigit())

    def compounds_ending_with(self, word: str, limit: int = 5) -> list[str]:
        """Corpus compounds whose head is ``word``: 'vortraege' → 'impulsvortraege'."""
        if len(word) < _MIN_PART + 1:
            return []
        key = word[::-1]
        start = bisect.bisect_left(self._reversed, key)
        found: list[str] = []
        for candidate in self._reversed[start:]:
            if not candidate.startswith(key):
                break
            if len(candidate) - len(key) >= _MIN_PART:
                found.append(candidate[::-1])
        return sorted(found, key=lambda w: -self.counts[w])[:limit]

    def split_compound(self, word: str) -> list[str]:
        """Stems of the two parts of a compound whose parts occur in the corpus, else []."""
        return _split(word, self.stems) if 2 * _MIN_PART <= len(word) <= MAX_WORD_CHARS else []

    def correct(self, word: str) -> str | None:
        """The corpus word a mistyped query word most likely means, or None. A German word is
        no typo: "bekommen" is not the corpus's "gekommen", nor "mieten" its "bieten"."""
        if word in self.counts or not 5 <= len(word) <= MAX_WORD_CHARS or word.isdigit():
            return None
        if word in german_words():
            return None
        limit = 1 if len(word) < 8 else 2
        candidates = [
            w
            for size in range(len(word) - limit, len(word) + limit + 1)
            for w in self._by_length.get(size, [])
        ]
        match = process.extractOne(
            word, candidates, scorer=Levenshtein.distance, score_cutoff=limit
        )
        return match[0] if match else None


@functools.cache
def german_words() -> frozenset[str]:
    """The folded words of a German dictionary (pyspellchecker's word list, in its wheel; its
    words are lower case, so only those with umlauts or ß need folding)."""
    listed = SpellChecker(language="de").word_frequency
    return frozenset(w if w.isascii() else fold(w) for w in listed)


def _has_prefix(sorted_words: list[str], prefix: str) -> bool:
    index = bisect.bisect_left(sorted_words, prefix)
    return index < len(sorted_words) and sorted_words[index].startswith(prefix)


def _split(word: str, stems: frozenset[str]) -> list[str]:
    """Stems of head and tail at the first cut whose parts occur, so the longest tail wins
    ("messe|staenden", not "messest|aenden"). A head that is the word's own stem leaves only
    an ending: "Auszubildende" and "bestehende" are no compounds of "Ende"."""
    own = stem(word)
    for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, tail = word[:cut], word[cut:]
        tail_stem = stem(tail)
        if tail_stem not in stems:
            continue
        heads = [head] + [
            head[: -len(s)]
            for s in _LINKING
            if head.endswith(s) and len(head) - len(s) >= _MIN_PART
        ]
        for candidate in heads:
            head_stem = stem(candidate)
            if head_stem in stems or candidate in stems:
                if head_stem != own:
                    return [head_stem, tail_stem]
                break
    return []


class Analyzer:
    """Turns text into BM25 terms; the same instance must serve indexing and queries."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._cache: dict[str, list[str]] = {}

    def _terms_of(self, word: str) -> list[str]:
        cached = self._cache.get(word)
        if cached is None:
            cached = [stem(word), *self.vocabulary.split_compound(word)]
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = cached
        return cached

    def _join_split_compounds(
        self, tokens: list[str], hyphen_joined: AbstractSet[str] = frozenset()
    ) -> list[str]:
        """'Fab Lab' and 'Maker Space' become 'fablab', 'makerspace' where the corpus writes them
        so. The parts of a hyphenated word ('Kick-off') stay apart: its joined form is already
        among the tokens, and joining its parts again would leave the word without a group.
        Function words are never joined: 'gibt es', 'bei der' are no compounds."""
        joined: list[str] = []
        index = 0
        while index < len(tokens):
            pair = "".join(tokens[index : index + 2])
            content = not STOPWORDS.intersection(tokens[index : index + 2])
            parts_known = all(
                self.vocabulary.knows(t) and len(t) > 4 for t in tokens[index : index + 2]
            )
            if (
                index + 1 < len(tokens)
                and content
                and pair not in hyphen_joined
                and (pair in self.vocabulary or (not parts_known and self.vocabulary.knows(pair)))
            ):
                joined.append(pair)
                index += 2
            else:
                joined.append(tokens[index])
                index += 1
        return joined

    def terms(self, text: str) -> list[str]:
        """Index-side terms: stems of all non-stopwords plus the parts of compounds."""
        out: list[str] = []
        for word in words(text):
            if word not in STOPWORDS:
                out.extend(self._terms_of(word))
        return out

    def query_terms(self, text: str) -> QueryTerms:
        """Query-side terms, with mistyped words repaired against the corpus vocabulary."""
        result = QueryTerms()
        hyphen_joined = set(words(text)) - set(words(text, joined=False))
        for word in self._join_split_compounds(words(text), hyphen_joined):
            if word in STOPWORDS:
                continue
            known = word if self.vocabulary.knows(word) else self.vocabulary.correct(word)
            if known is None:
                parts = self.vocabulary.split_compound(word)
                if not parts and word not in hyphen_joined:
                    result.unknown.append(word)
                group = [stem(word), *parts]
            else:
                compounds = self.vocabulary.compounds_ending_with(known)
                own, *parts = self._terms_of(known)  # its stem, then its compound's parts
                group = [own, *parts] + [stem(c) for c in compounds]
                result.content.append(known)
            result.terms.extend(group)
            if word not in hyphen_joined:
                result.groups.append(group)
                result.parts.append(parts)
                result.known.append(known is not None)
        return result


@dataclass
class QueryTerms:
    terms: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)  # query words found in the corpus
    unknown: list[str] = field(default_factory=list)  # query words the corpus never uses
    groups: list[list[str]] = field(default_factory=list)  # the terms of each query word
    parts: list[list[str]] = field(default_factory=list)  # per group: its compound's parts
    known: list[bool] = field(default_factory=list)  # per group: does the corpus use the word?

    def words(self) -> list[QueryWord]:
        """Each group as a :class:`QueryWord` (its own forms apart from its parts)."""
        return [
            QueryWord(frozenset(g) - frozenset(p), frozenset(p))
            for g, p in zip(self.groups, self.parts, strict=True)
        ]


# What one part of a compound counts for in a text that lacks the whole word ("Wirtschaft" for
# "Wirtschaftsminister"). Held out across the sets (bench/fit_answer_model.py, README,
# "Messwerte"): 1 (every part a full hit, as before) and 0 against 0.5.
PART_CREDIT = 0.5


@dataclass(frozen=True)
class QueryWord:
    """How a text may hold one query word: by ``whole`` (the word, a typo's correction or a
    compound ending with it) or by all of ``parts`` (those of the word's own compound)."""

    whole: frozenset[str]
    parts: frozenset[str]

    def credit(self, present: AbstractSet[str]) -> float:
        """1 for a text with the terms ``present`` that holds the word ("Minister für
        Wirtschaft" holds "Wirtschaftsminister"), PART_CREDIT for one part alone
        ("Wirtschaft" is another word), else 0."""
        if not self.whole.isdisjoint(present) or (self.parts and self.parts <= present):
            return 1.0
        return PART_CREDIT if not self.parts.isdisjoint(present) else 0.0


def word_weights(analyzer: Analyzer, groups: Sequence[Sequence[str]]) -> list[float]:
    """Rarer words weigh more: the inverse corpus frequency of a word's rarest form."""
    frequencies = analyzer.vocabulary.stem_counts
    total = analyzer.vocabulary.total_count
    return [
        max((math.log(1 + total / (1 + frequencies.get(t, 0))) for t in group), default=0.0)
        for group in groups
    ]
