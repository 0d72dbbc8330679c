"""The fitted answer model: sentence scorer, abstention model and selection constants.

Both models are logistic regressions over named features, standardised with the mean and
scale of their training data. They are fitted by ``bench/fit_answer_model.py`` on the
development sets and saved in ``weights.json`` beside this file; only numpy runs them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
FORMAT = 1


@dataclass
class LogisticModel:
    """p = sigmoid(coef · (x - mean) / scale + intercept) over ``features``."""

    features: list[str]
    coef: list[float]
    intercept: float
    mean: list[float]
    scale: list[float]

    def probability(self, matrix: np.ndarray, unknown: Sequence[str] = ()) -> np.ndarray:
        """Probabilities for the rows of ``matrix``; ``unknown`` features count as the mean."""
        if len(matrix) == 0:
            return np.zeros(0)
        z = (matrix - np.asarray(self.mean)) / np.asarray(self.scale)
        z[:, [self.features.index(name) for name in unknown]] = 0.0
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def reorder(self, names: Sequence[str]) -> LogisticModel:
        """Checks that the model reads exactly these features, in this order."""
        if list(names) != self.features:
            raise ValueError(f"weights.json passt nicht zum Code: {self.features} != {list(names)}")
        return self


@dataclass
class Selection:
    """How many sentences an answer takes and how redundancy is traded against score."""

    max_sentences: int = 3
    max_chars: int = 380
    relative_floor: float = 0.5  # a further sentence needs this share of the best score
    mmr_lambda: float = 0.7  # score weight against similarity to sentences already chosen
    list_chars: int = 0  # budget when a list is asked and its items are quoted; 0: never


@dataclass
class AnswerModel:
    sentence: LogisticModel
    abstention: LogisticModel
    threshold: float  # answer when the abstention model's probability reaches this
    selection: Selection = field(default_factory=Selection)
    fitted_on: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> AnswerModel:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError("unbekanntes Format der Gewichtsdatei")
        return cls(
            sentence=LogisticModel(**data.pop("sentence")),
            abstention=LogisticModel(**data.pop("abstention")),
            selection=Selection(**data.pop("selection")),
            **data,
        )

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")


@functools.cache
def default_model() -> AnswerModel:
    """The model shipped in ``weights.json``."""
    return AnswerModel.from_json(WEIGHTS_FILE.read_text(encoding="utf-8"))
