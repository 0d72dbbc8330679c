"""The only refusals decided by wording: requests for personal advice about one's own money or
legal situation. Everything else is decided by the evidence (see :mod:`abstention`)."""

from __future__ import annotations

import re

# "Soll ich …", "Lohnt es sich für mich …", "Was raten Sie mir …" about one's own money, firm
# or legal position, and investment tips. "Wo kann ich Fördermittel beantragen?" asks a fact.
_ASKS_FOR_ADVICE = re.compile(
    r"\b(soll(te)? ich|sollen wir|sollten wir|(empfehlen|raten) sie (mir|uns)|"
    r"was (raten|empfehlen) sie|würden sie (mir|uns)|should i|should we|would you recommend)\b",
    re.IGNORECASE,
)
# Advice by its form alone: whether something pays off for the asker, or their own tax case.
_PERSONAL_CASE = re.compile(
    r"\blohnt (es )?sich (das |es )?für (mich|uns|meine\w*|unsere\w*)\b|"
    r"\b(kann|darf|muss) ich\b.*\b(von der steuer|steuerlich|absetzen|verklagen)\b|"
    r"\bis it worth it for (me|us)\b",
    re.IGNORECASE,
)
_OWN_MONEY_OR_LAW = re.compile(
    r"\b(kaufen|verkaufen|investier\w*|anlegen|einsteigen|aussteigen|geld|kredit\w*|steuer\w*|"
    r"klagen|verklagen|"
    r"anwalt|rechtlich|vertrag|kündig\w*|firma|unternehmen|betrieb|buy|sell|invest\w*|sue)\b",
    re.IGNORECASE,
)
_INVESTMENT_TIP = re.compile(
    r"\b(aktien?|aktienkurs\w*|börsenkurs\w*|kursziel\w*|dividende\w*|stock price|stocks?)\b",
    re.IGNORECASE,
)
ADVICE = (
    "Persönliche Beratung (Geldanlage, rechtliche oder geschäftliche Entscheidungen) kann ich "
    "nicht geben; ich beantworte Fragen zu den veröffentlichten Dokumenten."
)


def asks_personal_advice(question: str) -> bool:
    """A request for advice on the asker's own money, business or legal situation."""
    return bool(
        (_ASKS_FOR_ADVICE.search(question) and _OWN_MONEY_OR_LAW.search(question))
        or _PERSONAL_CASE.search(question)
        or _INVESTMENT_TIP.search(question)
    )
