"""The fitted passage scorer: a logistic regression over the candidate features.

Fitted by ``bench/fit_retrieval_model.py`` on the development sets (constants chosen by
cross-validation across both) and saved in ``retrieval_weights.json`` beside this file;
only numpy runs it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.answering.model import LogisticModel
from assistant.passage_features import FEATURES

WEIGHTS_FILE = Path(__file__).with_name("retrieval_weights.json")
FORMAT = 1


@dataclass
class PassageModel:
    scorer: LogisticModel  # probability that a candidate passage states the answer
    candidates: int  # depth of the dense and of the lexical candidate list
    fitted_on: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str, source: str = WEIGHTS_FILE.name) -> PassageModel:
        """The model in ``text``; ValueError if it is not for this code's features."""
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError(f"{source}: unbekanntes Format (erwartet {FORMAT})")
        scorer = LogisticModel(**data.pop("scorer"))
        if scorer.features != list(FEATURES) or not (
            len(scorer.coef) == len(scorer.mean) == len(scorer.scale) == len(FEATURES)
        ):
            raise ValueError(
                f"{source} passt nicht zum Code: Merkmale {scorer.features}, erwartet "
                f"{list(FEATURES)}. Bitte mit bench/fit_retrieval_model.py neu anpassen."
            )
        return cls(scorer=scorer, **data)

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")


@functools.cache
def default_passage_model() -> PassageModel:
    """The model shipped in ``retrieval_weights.json`` (read once)."""
    return PassageModel.from_json(WEIGHTS_FILE.read_text(encoding="utf-8"))
