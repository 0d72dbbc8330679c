"""The question, analysed once: language, expected answer type, salient terms, follow-up cues.

Every later step (retrieval, follow-ups, answer selection, refusal) reads this record instead
of re-reading the raw question. The analysis is pure: it needs no index. Answer types come
from German and English interrogative grammar — the question word opening a clause ("wann",
"seit wann", "wie viele", "wer", "wo", "welche" + plural, "nennen Sie") — not from topic words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal, cast

from assistant.analysis import STOPWORDS, fold

Language = Literal["de", "en"]
AnswerType = Literal["date", "time", "number", "amount", "person", "place", "list"]
Intent = Literal["question", "greeting", "thanks", "help", "small_talk"]

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.UNICODE)
# A clause opens at the start, after a comma/colon/semicolon, or after a coordinating word:
# "Hallo, wann …", "Wann und wo …", "Können Sie mir sagen, wer …".
_CLAUSE_START = r"(?:^|[,;:–-]\s*|\b(?:und|oder|aber|and|or|but)\s+)"
_PREPOSITION = (
    r"(?:seit|bis|ab|von|vom|mit|an|am|für|in|im|aus|zu|nach|bei|auf|über|unter|um|"
    r"since|until|from|with|in|at|for|by|of|to)"
)
# Heads of nouns that name money ("Fördermittel", "Gesamtbudget", "Investitionssumme").
_MONEY_HEAD = re.compile(
    r"(geld|gelder|mittel|mitteln|budget|budgets|etat|kosten|summe|summen|betrag|betraege|"
    r"investition|investitionen|zuschuss|zuschuesse|foerderung|foerderungen|finanzierung|lohn|"
    r"loehne|gehalt|gehaelter|beitrag|beitraege|gebuehr|gebuehren|praemie|praemien|preis|preise|"
    r"euro|millionen|milliarden|money|funding|funds|budget|cost|costs|fee|fees|"
    r"grant|grants|investment|wage|salary)$"
)
# German singular feminine suffixes: "welche Förderung" asks for one thing, "welche Firmen" many.
_SINGULAR_FEMININE = re.compile(r"(ung|heit|keit|schaft|ion|taet|ik|ur|anz|enz|ie|in|a)$")
_PLURAL_VERB = re.compile(
    r"^(sind|waren|haben|hatten|werden|wurden|gibt|gab|gehoeren|gehoerten|kommen|kamen|"
    r"nehmen|nahmen|are|were|have|had|do|did)$"
)
_SINGULAR_VERB = re.compile(r"^(ist|war|hat|hatte|wird|wurde|spielt|spielte|is|was|has|does)$")
_NUMBER_WORDS = frozenset(
    ["zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun", "zehn", "two", "three"]
)
# "alles" after a question word asks for every item: an enumeration.
_ENUMERATING = re.compile(r"^\W*(?:was|wer|wen|wem|wo|welche\w*)\b.*?\b(alles)\b", re.IGNORECASE)
_ENGLISH_PLURAL = re.compile(r"[^su]s$")  # "companies", "places"; not "business", "status"

# (reading, pattern of the interrogative that asks for it, may it stand anywhere?). Words that
# are also relative pronouns or conjunctions ("wo", "welche", "when") count only at a clause
# start; "wann" and "wie viele" ask wherever they stand ("KI-Zentrum seit wann?").
# The readings "count" and "which" are turned into an answer type (or none) by _refine().
_INTERROGATIVES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile((r"\b" if anywhere else _CLAUSE_START) + pattern, re.IGNORECASE))
    for kind, pattern, anywhere in (
        ("time", r"(?:um\s+wie\s*viel\s+uhr|wie\s+spät|zu\s+welcher\s+uhrzeit)\b", True),
        ("time", r"(?:at\s+)?what\s+time\b", False),
        (
            "date",
            r"(?:(?:seit|bis|ab|von)\s+wann|wann|an\s+welchem\s+(?:tag|datum)|"
            r"in\s+welchem\s+(?:jahr|monat)|welche[sn]?\s+(?:datum|jahr))\b",
            True,
        ),
        (
            "date",
            r"(?:(?:since|until)\s+when|when|(?:in\s+|on\s+)?(?:what|which)\s+(?:\w+\s+)?"
            r"(?:year|date|month|day))\b",
            False,
        ),
        (
            "amount",
            r"(?:wie\s+teuer|was\s+koste[nt]|how\s+much\s+did\s+\S+(?:\s+\S+)?\s+cost)\b",
            True,
        ),
        (
            "count",
            r"(?:" + _PREPOSITION + r"\s+)?(?:wie\s*viel(?:e[nmrs]?)?|wie\s+hoch|wie\s+groß|"
            r"wie\s+oft|wie\s+lange?)\b",
            True,
        ),
        (
            "count",
            r"(?:how\s+many|how\s+much|how\s+high|how\s+large|how\s+often|how\s+long|"
            r"what\s+(?:share|percentage|proportion))\b",
            False,
        ),
        ("person", r"(?:(?:von|mit|an|für|zu)\s+)?(?:wer|wem|wen|wessen|who|whom|whose)\b", False),
        (
            "place",
            r"(?:wo|wohin|woher|where|in\s+welche[rnm]?\s+(?:stadt|ort|region|land|gemeinde)|"
            r"an\s+welchem\s+ort|(?:which|what)\s+(?:place|city|town|region|location))\b",
            False,
        ),
        (
            "list",
            r"(?:nenne|nennen\s+sie|liste|listen\s+sie|zähle|zählen\s+sie|name\s+the|list)\b",
            False,
        ),
        ("which", r"(?:" + _PREPOSITION + r"\s+)?(?:welche[nrsm]?|which|what)\b", False),
    )
)


@dataclass(frozen=True)
class FollowUpCues:
    """What in the question's form suggests it leans on the conversation."""

    leading_conjunction: bool  # "Und wann …?", "Aber wer …?", "And what about …?"
    references: tuple[str, ...]  # pronouns and deictics: "das", "dort", "dabei", "it", "there"
    own_terms: int  # content words of its own (not question words, not references)
    own_nouns: int | None = None  # capitalised ones (German nouns); None if typed in lower case
    # German, typed with capitals, and no noun at all, not even the asked-for one:
    # "Wie viel bekommt man maximal?", "Wo sitzt es?"
    without_noun: bool = False

    @property
    def elliptical(self) -> bool:
        """No subject of its own: "Und seit wann?", "Wer war da dabei?", "Und der Bund?".

        One content word after a leading "und" is still an ellipsis, and so is a German question
        with a reference but no noun of its own ("Und wo wurde sie vorgestellt?"); one content
        word with a reference ("Software-Service-Cloud: was ist das?") may be a topic of its own.
        """
        cued = self.leading_conjunction or bool(self.references)
        return (
            self.own_terms == 0
            or (self.own_terms == 1 and self.leading_conjunction)
            or (cued and self.own_nouns == 0)
        )

    @property
    def leans_on_context(self) -> bool:
        """Whether the conversation may complete it; unless elliptical, retrieval decides."""
        return (
            self.leading_conjunction
            or bool(self.references)
            or self.elliptical
            or self.without_noun
        )


@dataclass(frozen=True)
class QuestionForm:
    """A question analysed once; every later step reads this instead of the raw text."""

    text: str
    language: Language
    answer_types: tuple[AnswerType, ...]  # in the order the question asks for them
    salient_terms: tuple[str, ...]  # content words as written, question and filler words removed
    follow_up: FollowUpCues
    intent: Intent = "question"

    @property
    def answer_type(self) -> AnswerType | None:
        """What the question asks for first, or None for open questions ("Was ist …?")."""
        return self.answer_types[0] if self.answer_types else None

    @property
    def is_small_talk(self) -> bool:
        return self.intent != "question"


def analyse_question(text: str) -> QuestionForm:
    """The typed record of ``text``; pure and cheap (no index, no model but language ID)."""
    text = " ".join(text.split())
    intent, phrase_language = _intent(text)
    language = phrase_language or detect_language(text)
    return QuestionForm(
        text=text,
        language=language,
        answer_types=answer_types(text),
        salient_terms=salient_terms(text),
        follow_up=follow_up_cues(text, language),
        intent=intent,
    )


# --- answer type ----------------------------------------------------------------------------


def answer_types(text: str) -> tuple[AnswerType, ...]:
    """The kinds of answer asked for, in question order ("Wann und wo …?" → date, place).

    Patterns are tried by priority; a match overlapping a stronger one is ignored, so
    "um wie viel Uhr" is a time, not a number.
    """
    text = _LEADING_GREETING.sub("", text)
    found: list[tuple[int, int, AnswerType]] = []
    enumeration = _ENUMERATING.search(text)  # "Was steht alles …", "Wer war da alles dabei?"
    if enumeration:
        found.append((enumeration.start(1), enumeration.end(1), "list"))
    for kind, pattern in _INTERROGATIVES:
        for match in pattern.finditer(text):
            if any(match.start() < end and match.end() > start for start, end, _ in found):
                continue
            if match.group().startswith(",") and _follows_noun(text[: match.start()]):
                continue
            refined = _refine(kind, match.group(), text[match.end() :])
            if refined is not None:
                found.append((match.start(), match.end(), refined))
    return tuple(dict.fromkeys(kind for _, _, kind in sorted(found)))


def _follows_noun(before: str) -> bool:
    """', wo' after a noun ('die Region, wo …') is relative; after a verb ('sagen, wo') it asks."""
    previous = _WORD.findall(before)
    return len(previous) > 1 and previous[-1][:1].isupper()


def _refine(kind: str, interrogative: str, rest: str) -> AnswerType | None:
    """Turn the grammar's "count" and "which" readings into an answer type."""
    following = [fold(w) for w in _WORD.findall(rest)[:4]]
    if kind == "count":
        asked = fold(interrogative)
        if re.search(r"\b(lange?|long)$", asked):
            return None  # a duration: no single kind of token answers it
        counts_items = re.search(r"(viele[nmrs]?|many)$", asked) is not None
        if not counts_items and any(_MONEY_HEAD.search(w) for w in following[:3]):
            return (
                "amount"  # "wie viel Geld", "wie hoch ist die Förderung"; not "wie viele Prämien"
            )
        return "number"
    if kind == "which":
        return _which(interrogative, following)
    return cast(AnswerType, kind)


def _which(interrogative: str, following: list[str]) -> AnswerType | None:
    """'Welche Firmen sind …' asks for a list; 'Welche Rolle spielt …' for one thing."""
    word = fold(interrogative.split()[-1])
    if not following:
        return None
    noun = following[0]
    if noun.isdigit() or noun in _NUMBER_WORDS:
        return "list"  # "auf welchen drei Säulen", "which two companies"
    verb = next((w for w in following[1:] if _SINGULAR_VERB.match(w) or _PLURAL_VERB.match(w)), "")
    if word in ("which", "what"):  # English: a plural noun within the next three words
        if _SINGULAR_VERB.match(noun) or _PLURAL_VERB.match(noun):
            return "list" if noun in ("are", "were") else None
        return "list" if any(_ENGLISH_PLURAL.search(w) for w in following[:3]) else None
    if word == "welche":
        if _PLURAL_VERB.match(noun) and noun not in ("gibt", "gab"):
            return "list"  # "Welche sind die Ziele?"
        if _SINGULAR_VERB.match(noun):
            return None  # "Welche ist die größte …?"
        if _SINGULAR_FEMININE.search(noun):  # "Welche Förderung …": one thing unless "… sind"
            return (
                "list"
                if verb and _PLURAL_VERB.match(verb) and verb not in ("gibt", "gab")
                else None
            )
        return None if noun.endswith("e") and _SINGULAR_VERB.match(verb or "-") else "list"
    if word == "welchen" and len(interrogative.split()) > 1 and noun.endswith("n"):
        return "list"  # dative plural after a preposition: "aus welchen Orten"
    return None


# --- salient terms and follow-up cues -------------------------------------------------------


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_REFERENCES: dict[Language, frozenset[str]] = {
    "de": _word_set(
        """da dort dabei damals davon dazu daran darin darauf darüber dafür dahin dahinter davor
        danach dadurch damit drin dies diese dieser dieses diesem diesen dessen deren derselbe
        dieselbe dasselbe er ihm ihn ihnen sie ihr ihre ihren ihrem ihrer ihres sein seine seinen
        seinem seiner seines"""
    ),
    "en": _word_set("there then that it its they them their this those these he him his she her"),
}
_ALL_REFERENCES = _REFERENCES["de"] | _REFERENCES["en"]
# Capitalised mid-sentence, these are the polite "Sie"/"Ihr…" (you), not a reference.
_POLITE_FORMS = _word_set("sie ihr ihre ihren ihrem ihrer ihres ihnen")
# Demonstrative pronouns standing alone ("seit wann gab es die?", "Und wann war das?").
_STANDALONE_DEMONSTRATIVE = _word_set("das die der dem den")
_LEADING_CONJUNCTION = re.compile(
    r"^\s*(?:und|aber|oder|also|sondern|and|but|or|so|what about|how about)\b", re.IGNORECASE
)
_LEADING_GREETING = re.compile(
    r"^\s*(?:hallo|hi|hey|moin|servus|guten\s+(?:tag|morgen|abend)|hello|good\s+(?:morning|"
    r"afternoon|evening))\b[\s,.!]*",
    re.IGNORECASE,
)
# Question words, light and modal verbs, particles and format words ("als Liste"): a question made of
# these has no subject of its own.
_QUESTION_FILLER = frozenset(
    fold(word)
    for word in _word_set(
        """wann wer wem wen wessen wo wohin woher wie was warum wieso weshalb welche welcher welches
    welchen welchem viel viele vielen wieviel wieviele hoch lange oft genau eigentlich denn mal
    noch alles alle uhr seit bis ab gibt gibts gab geht ging los liste stichpunkte stichpunkten
    darf dürfen durfte kann können konnte muss müssen musste soll sollen sollte will wollen
    wollte möchte möchten mag
    when who whom whose where what which why how much many long often"""
    )
)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def salient_terms(text: str) -> tuple[str, ...]:
    """Content words as written: no greeting, stopwords, question words, references, fillers."""
    seen: dict[str, str] = {}
    for token in _tokens(_LEADING_GREETING.sub("", text)):
        key = fold(token)
        if key in STOPWORDS or key in _QUESTION_FILLER or token.casefold() in _ALL_REFERENCES:
            continue
        if len(key) < 2 and not key.isdigit():
            continue
        seen.setdefault(key, token)
    return tuple(seen.values())


def follow_up_cues(text: str, language: Language = "de") -> FollowUpCues:
    """Conjunction, pronouns/deictics and the number of own content words."""
    tokens = _tokens(text)
    cased = language == "de" and any(character.isupper() for character in text)
    references: list[str] = []
    for index, token in enumerate(tokens):
        key = token.casefold()
        if key in _REFERENCES[language]:
            polite = key in _POLITE_FORMS and (index == 0 or token[0].isupper())
            if not polite:
                references.append(key)
        elif (
            language == "de"
            and key in _STANDALONE_DEMONSTRATIVE
            and _stands_alone(tokens, index, cased)
        ):
            references.append(key)
    own = salient_terms(text)
    asked_for = {fold(m.group(1)) for m in _ASKED_FOR_NOUN.finditer(text)}
    capitalised = [term for term in own if term[:1].isupper()]
    nouns = [term for term in capitalised if fold(term) not in asked_for]
    return FollowUpCues(
        leading_conjunction=bool(_LEADING_CONJUNCTION.match(text)),
        references=tuple(dict.fromkeys(references)),
        own_terms=len(own),
        own_nouns=len(nouns) if cased else None,
        without_noun=cased and not capitalised,
    )


# The noun after an interrogative determiner names the kind of answer, not the subject:
# "Und welche Firma hat sie durchgeführt?" has no subject of its own.
_ASKED_FOR_NOUN = re.compile(r"\b(?:welche[rsmn]?|wie\s*viele?)\s+([^\W\d_][\w-]*)", re.IGNORECASE)


_FUNCTION_OR_FILLER = STOPWORDS | _QUESTION_FILLER


def _stands_alone(tokens: list[str], index: int, cased: bool) -> bool:
    """'das' as a pronoun: the last word; followed by a function word; or followed by a lowercase
    word after which no noun comes, as none does after a pronoun ("Wo kann ich die beantragen?",
    "Wie viele waren das insgesamt?"; an article has its noun: "die neue Strategie", or its
    phrase goes on: "die erste der beiden Firmen"). Typed in lower case, only a last word after
    it shows that (a noun cannot be told from a verb)."""
    if index == len(tokens) - 1:
        return True
    following = tokens[index + 1]
    if not following[:1].islower():
        return False
    if fold(following) in _FUNCTION_OR_FILLER:
        return True
    after = tokens[index + 2 : index + 3]  # "die erste der beiden Firmen": the phrase goes on
    return not after or (cased and after[0][:1].islower() and fold(after[0]) not in STOPWORDS)


# --- intent ---------------------------------------------------------------------------------

_SMALL_TALK: tuple[tuple[Intent, Language, re.Pattern[str]], ...] = tuple(
    (
        cast(Intent, intent),
        cast(Language, language),
        re.compile(r"^\s*(?:" + pattern + r")\s*[.!?]*\s*$", re.IGNORECASE),
    )
    for intent, language, pattern in (
        (
            "greeting",
            "de",
            r"(?:hallo|moin|servus|guten\s+(?:tag|morgen|abend)|grüß\s+gott|hey)"
            r"(?:\s+(?:zusammen|du|ihr))?",
        ),
        ("greeting", "en", r"(?:hello|hi|good\s+(?:morning|afternoon|evening))(?:\s+there)?"),
        (
            "thanks",
            "de",
            r"(?:vielen\s+)?dank(?:e)?(?:\s+(?:schön|sehr|dir|ihnen))?(?:[,!]\s*tschüss)?"
            r"|tschüss|auf\s+wiedersehen",
        ),
        ("thanks", "en", r"(?:thanks?(?:\s+you)?(?:\s+very\s+much)?|bye|goodbye)"),
        (
            "help",
            "de",
            r"hilfe|was\s+kannst\s+du(?:\s+alles)?|"
            r"was\s+können\s+sie(?:\s+alles)?|wer\s+bist\s+du|wer\s+sind\s+sie|was\s+bist\s+du",
        ),
        ("help", "en", r"help|what\s+can\s+you\s+do|who\s+are\s+you|what\s+are\s+you"),
        (
            "small_talk",
            "de",
            r"(?:erzähl|erzählen\s+sie)\s+mir\s+(?:einen|einen\s+\w+)\s+witz|"
            r"wie\s+geht(?:'s|\s+es)(?:\s+(?:dir|ihnen))?|was\s+machst\s+du",
        ),
        ("small_talk", "en", r"tell\s+me\s+a\s+joke|how\s+are\s+you"),
    )
)


def _intent(text: str) -> tuple[Intent, Language | None]:
    """Small talk only when the whole input is one such phrase ("Hallo, wann …" is a question)."""
    for intent, language, pattern in _SMALL_TALK:
        if pattern.match(text):
            return intent, language
    return "question", None


# --- language -------------------------------------------------------------------------------


@functools.cache
def _identifier() -> object:
    """py3langid restricted to German and English, without the 97-language tables in memory."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    full.set_languages(["de", "en"])
    return LanguageIdentifier(
        full.nb_ptc.copy(),
        full.nb_pc.copy(),
        list(full.nb_classes),
        full.tk_nextmove,
        full.tk_output,
        norm_probs=True,
        tk_row=full.tk_row,
    )


def warm_up_language_identifier() -> None:
    """Load the language identifier now (about 1.5 s), not on the first question."""
    _identifier()


def detect_language(text: str) -> Language:
    """'en' for English questions, else 'de' (also for too little text to tell)."""
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 2:
        return "de"
    language, _ = _identifier().classify(text)  # type: ignore[attr-defined]
    return "en" if language == "en" else "de"
