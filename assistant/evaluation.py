"""Evaluation on a question set with gold answers: the figures of the devset's score.py.

recall@5 and MRR@10 (a gold document among the passages), fact recall@5 (gold facts in the
first five passages), answer fact coverage (gold facts in the answer text), citation precision,
answered and refused rates — overall and per question type.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.jsonl import answer_lines
from assistant.service import Assistant

_K = 5
_FOLDS = (
    ("ä", "ae"),
    ("ö", "oe"),
    ("ü", "ue"),
    ("ß", "ss"),
    ("„", '"'),
    ("“", '"'),
    ("”", '"'),
    ("–", "-"),
    ("\u00ad", ""),
)


def normalise(text: str) -> str:
    """Fold case, umlauts, quotes, dashes and line breaks as the devset scorer does."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    for old, new in _FOLDS:
        text = text.replace(old, new)
    text = re.sub(r"-\s*\n\s*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _base(source: str | None) -> str:
    return Path(str(source or "").split("#")[0]).name.lower()


def _load(path: Path) -> list[dict[str, Any]]:
    try:
        return [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: die Fragendatei ist nicht lesbar ({error}).") from error


class _Tally:
    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)

    def add(self, name: str, value: float) -> None:
        self.values[name].append(value)

    def mean(self, name: str) -> float:
        values = self.values.get(name, [])
        return round(sum(values) / len(values), 3) if values else 0.0


def score_one(question: dict[str, Any], result: dict[str, Any], tally: _Tally) -> None:
    passages = result.get("passages") or []
    if not question.get("answerable", True):
        tally.add("refused_when_unanswerable", float(not result.get("answered", True)))
        return
    gold = {_base(g) for g in question.get("gold_docs", [])}
    sources = [_base(p.get("source")) for p in passages[:10]]
    rank = next((i + 1 for i, s in enumerate(sources) if s in gold), None)
    tally.add(f"recall@{_K}", float(rank is not None and rank <= _K))
    tally.add("mrr@10", 1 / rank if rank else 0.0)
    top = normalise(" ".join(p.get("text", "") for p in passages[:_K]))
    answer = normalise(result.get("answer", ""))
    for fact in question.get("gold_facts", []):
        tally.add(f"fact_recall@{_K}", float(normalise(fact) in top))
        tally.add("answer_fact_coverage", float(normalise(fact) in answer))
    tally.add("answered_when_answerable", float(bool(result.get("answered", True))))
    for citation in result.get("citations", []):
        tally.add("citation_precision", float(_base(citation.get("source")) in gold))


def evaluate(
    assistant: Assistant, questions_path: Path, output: Path | None = None
) -> dict[str, Any]:
    """Answer every question and compute the figures, overall and per question type."""
    questions = _load(questions_path)
    results = list(answer_lines(assistant, (json.dumps(q, ensure_ascii=False) for q in questions)))
    if output:
        output.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8"
        )
    overall = _Tally()
    by_type: dict[str, _Tally] = defaultdict(_Tally)
    for question, result in zip(questions, results, strict=True):
        score_one(question, result, overall)
        score_one(question, result, by_type[question.get("type", "?")])
    names = [
        f"recall@{_K}",
        "mrr@10",
        f"fact_recall@{_K}",
        "answer_fact_coverage",
        "citation_precision",
        "answered_when_answerable",
        "refused_when_unanswerable",
    ]
    return {
        "questions": len(questions),
        **{name: overall.mean(name) for name in names},
        "by_type": {
            kind: {name: tally.mean(name) for name in names if tally.values.get(name)}
            for kind, tally in sorted(by_type.items())
        },
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [f"Fragen: {report['questions']}"]
    lines += [
        f"  {name:<28} {value:.3f}" for name, value in report.items() if isinstance(value, float)
    ]
    lines.append("Je Fragetyp:")
    for kind, figures in report["by_type"].items():
        lines.append(
            f"  {kind:<12} " + "  ".join(f"{name}={value:.2f}" for name, value in figures.items())
        )
    return "\n".join(lines)
