"""Follow-ups on the development sets: recall with history, topic inheritance, carry margin.

    python bench/followups.py DEVSET_INDEX DEVSET_QUESTIONS [DEVSET2_INDEX DEVSET2_QUESTIONS]

For each set: recall@5 and MRR@10 of its follow-up questions (with their history), and, as
negatives, every other answerable question asked after an unrelated previous exchange (the
history of one of the set's follow-ups): how often it inherits the old topic and what that
costs in recall. Then the margin of ``assistant.conversation.CARRY_MARGIN`` fitted on each
set (most correct carry decisions on its questions with a subject of their own) and
measured on the other.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.conversation import referenced_entity, with_entity
from assistant.documents import Turn
from assistant.evaluation import document_name
from assistant.question import analyse_question
from assistant.retrieval import HybridRetriever
from assistant.service import Assistant
from assistant.settings import Settings


@dataclass
class Case:
    question: str
    gold: set[str]
    follow_up: bool  # True: a real follow-up; False: a new question after an unrelated turn
    weak: bool  # has a follow-up cue but also a subject of its own: the margin decides
    delta: float  # dense_top with the carried entity minus without
    alone: float  # dense_top without
    rank_alone: int | None
    rank_carried: int | None


def _rank(passages: list[Any], gold: set[str]) -> int | None:
    names = [document_name(p.source) for p in passages[:10]]
    return next((i + 1 for i, name in enumerate(names) if name in gold), None)


def _history(raw: list[dict[str, str]]) -> list[Turn]:
    return [Turn(turn["role"], turn["content"]) for turn in raw]  # type: ignore[arg-type]


def cases(index: Path, questions_path: Path) -> tuple[list[Case], dict[str, float]]:
    assistant = Assistant(Settings(index_dir=index))
    retriever = HybridRetriever(assistant.snapshot(), assistant.embeddings)
    questions = [json.loads(line) for line in questions_path.read_text().splitlines() if line]
    histories = [q["history"] for q in questions if q.get("type") == "followup"]
    found: list[Case] = []
    hits: dict[str, list[float]] = {"followup_recall@5": [], "followup_mrr@10": []}
    hits |= {"new_question_inherits": [], "new_question_recall@5": []}
    for number, question in enumerate(questions):
        if not question.get("answerable", True):
            continue
        follow_up = question.get("type") == "followup"
        if not follow_up and question.get("history"):
            continue
        history = _history(question["history"] if follow_up else histories[number % len(histories)])
        gold = {g.lower() for g in question["gold_docs"]}
        standalone, retrieval = assistant.retrieve(question["question"], history)
        rank = _rank(retrieval.passages, gold)
        if follow_up:
            hits["followup_recall@5"].append(float(rank is not None and rank <= 5))
            hits["followup_mrr@10"].append(1 / rank if rank else 0.0)
            print(f"  Folgefrage Rang {rank}: {question['question'][:50]} + {standalone.carried}")
        else:
            hits["new_question_inherits"].append(float(standalone.is_follow_up))
            if standalone.is_follow_up:
                print(f"  übernimmt das alte Thema: {question['question'][:70]}")
            hits["new_question_recall@5"].append(float(rank is not None and rank <= 5))
        form = analyse_question(question["question"])
        entity, _ = referenced_entity(history)
        if form.follow_up.leans_on_context and not form.follow_up.elliptical and entity:
            alone = retriever.retrieve(form.text)
            carried = retriever.retrieve(with_entity(form.text, entity))
            found.append(
                Case(
                    question["question"],
                    gold,
                    follow_up,
                    True,
                    carried.dense_top - alone.dense_top,
                    alone.dense_top,
                    _rank(alone.passages, gold),
                    _rank(carried.passages, gold),
                )
            )
    return found, {name: round(sum(v) / len(v), 3) for name, v in hits.items() if v}


def _should_carry(case: Case) -> bool:
    """Carrying is right for a follow-up unless it loses the gold passage; never for new ones."""
    if not case.follow_up:
        return False
    return (case.rank_carried or 99) <= (case.rank_alone or 99)


def _correct(cases: list[Case], margin: float) -> float:
    right = [(case.delta > margin) == _should_carry(case) for case in cases]
    return sum(right) / len(right) if right else 1.0


def fit_margin(cases: list[Case]) -> float:
    """The smallest margin with the most correct decisions (a delta or midway between two)."""
    deltas = sorted({case.delta for case in cases})
    candidates = deltas + [(a + b) / 2 for a, b in itertools.pairwise(deltas)]
    return max(candidates, key=lambda margin: (_correct(cases, margin), -abs(margin)))


def main(arguments: list[str]) -> None:
    sets = [(Path(arguments[i]), Path(arguments[i + 1])) for i in range(0, len(arguments), 2)]
    weak: list[list[Case]] = []
    for index, questions in sets:
        found, figures = cases(index, questions)
        weak.append(found)
        print(f"{questions.parent.name}: {figures}")
        for case in found:
            print(
                f"  {'Folgefrage' if case.follow_up else 'neue Frage':10} delta={case.delta:+.3f} "
                f"Rang allein={case.rank_alone} mit Bezug={case.rank_carried}  {case.question[:60]}"
            )
    if len(weak) == 2:
        for fit, test in ((0, 1), (1, 0)):
            margin = fit_margin(weak[fit])
            print(
                f"Schwelle angepasst auf {sets[fit][1].parent.name}: {margin:+.4f}, richtig dort "
                f"{_correct(weak[fit], margin):.2f}, auf {sets[test][1].parent.name} "
                f"{_correct(weak[test], margin):.2f}"
            )
        both = weak[0] + weak[1]
        print(f"Schwelle auf beiden: {fit_margin(both):+.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
