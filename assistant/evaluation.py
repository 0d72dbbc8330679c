"""Evaluation on question sets with gold answers: the figures of the devset's score.py.

recall@5 and MRR@10 (a gold document among the passages), fact recall@5 (gold facts in the
first five passages), answer fact coverage (gold facts in the answer text), citation precision,
answered and refused rates, mean answer length — overall and per question type — and the
risk–coverage table of the abstention model (answered share of answerable questions against
answered share of unanswerable ones, for a range of thresholds).

Several sets are each measured on their own index (their ``docs/`` folder plus ``corpus/``)
and all together on one union index of every set's documents plus ``corpus/``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.jsonl import answer_lines
from assistant.service import Assistant
from assistant.settings import Settings

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


def document_name(source: str | None) -> str:
    """The file name of a source or gold document, lower case, without a page anchor."""
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


class Tally:
    """Values per figure name; a figure is the mean of its values."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)

    def add(self, name: str, value: float) -> None:
        self.values[name].append(value)

    def mean(self, name: str) -> float:
        values = self.values.get(name, [])
        return round(sum(values) / len(values), 3) if values else 0.0


def score_passages(
    question: dict[str, Any], passages: Sequence[dict[str, Any]], tally: Tally
) -> None:
    """recall@5, MRR@10 and fact recall@5 of an answerable question's ranked passages."""
    gold = {document_name(g) for g in question.get("gold_docs", [])}
    sources = [document_name(p.get("source")) for p in passages[:10]]
    rank = next((i + 1 for i, s in enumerate(sources) if s in gold), None)
    tally.add(f"recall@{_K}", float(rank is not None and rank <= _K))
    tally.add("mrr@10", 1 / rank if rank else 0.0)
    top = normalise(" ".join(p.get("text", "") for p in passages[:_K]))
    for fact in question.get("gold_facts", []):
        tally.add(f"fact_recall@{_K}", float(normalise(fact) in top))


def score_one(question: dict[str, Any], result: dict[str, Any], tally: Tally) -> None:
    tally.add("mean_answer_length", float(len(result.get("answer", ""))))
    if not question.get("answerable", True):
        tally.add("refused_when_unanswerable", float(not result.get("answered", True)))
        return
    score_passages(question, result.get("passages") or [], tally)
    gold = {document_name(g) for g in question.get("gold_docs", [])}
    answer = normalise(result.get("answer", ""))
    for fact in question.get("gold_facts", []):
        tally.add("answer_fact_coverage", float(normalise(fact) in answer))
    tally.add("answered_when_answerable", float(bool(result.get("answered", True))))
    for citation in result.get("citations", []):
        tally.add("citation_precision", float(document_name(citation.get("source")) in gold))


NAMES = (
    f"recall@{_K}",
    "mrr@10",
    f"fact_recall@{_K}",
    "answer_fact_coverage",
    "mean_answer_length",
    "citation_precision",
    "answered_when_answerable",
    "refused_when_unanswerable",
)
_RISK_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def answer_probabilities(assistant: Assistant, questions: list[dict[str, Any]]) -> list[float]:
    """The abstention model's answer probability for each question (offline answer only)."""
    from assistant.answering.model import default_model
    from assistant.answering.offline import weigh
    from assistant.jsonl import turns_from_json

    model = assistant.answer_model or default_model()
    probabilities = []
    for number, question in enumerate(questions, start=1):
        history = turns_from_json(question.get("history"), f"Frage {number}")
        standalone, found = assistant.retrieve(question["question"], history)
        probabilities.append(weigh(standalone, found, model).probability)
    return probabilities


def risk_coverage(
    questions: list[dict[str, Any]], probabilities: list[float]
) -> list[dict[str, float]]:
    """Per threshold: share of answerable questions answered, share of unanswerable answered."""
    answerable = [
        p for q, p in zip(questions, probabilities, strict=True) if q.get("answerable", True)
    ]
    unanswerable = [
        p for q, p in zip(questions, probabilities, strict=True) if not q.get("answerable", True)
    ]
    return [
        {
            "threshold": t,
            "answered": round(sum(p >= t for p in answerable) / max(len(answerable), 1), 3),
            "false_answers": round(
                sum(p >= t for p in unanswerable) / max(len(unanswerable), 1), 3
            ),
        }
        for t in _RISK_THRESHOLDS
    ]


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
    overall = Tally()
    by_type: dict[str, Tally] = defaultdict(Tally)
    for question, result in zip(questions, results, strict=True):
        score_one(question, result, overall)
        score_one(question, result, by_type[question.get("type", "?")])
    report: dict[str, Any] = {
        "questions": len(questions),
        **{name: overall.mean(name) for name in NAMES},
        "by_type": {
            kind: {name: tally.mean(name) for name in NAMES if tally.values.get(name)}
            for kind, tally in sorted(by_type.items())
        },
    }
    if assistant.settings.llm == "none":
        report["risk_coverage"] = risk_coverage(
            questions, answer_probabilities(assistant, questions)
        )
    return report


def evaluate_sets(
    settings: Settings, question_files: list[Path], workdir: Path, corpus: Path | None
) -> dict[str, Any]:
    """Each set on its own index (its docs/ plus ``corpus``), all sets on one union index.

    Indexes are built in ``workdir`` (one folder per set, ``union``) and brought up to date
    incrementally, so a second run embeds nothing.
    """
    from assistant.ingest import ingest

    extra = [corpus] if corpus is not None and corpus.is_dir() else []
    reports: dict[str, Any] = {}
    union_docs: list[Path] = []
    for path in question_files:
        docs = path.parent / "docs"
        if not docs.is_dir():
            raise InputError(
                f"{path}: neben der Fragendatei fehlt der Ordner docs/ mit den Dokumenten."
            )
        union_docs.append(docs)
        index = workdir / path.parent.name
        own = settings.with_overrides(index_dir=index, copy_into_corpus=False)
        ingest([docs, *extra], own, quiet=True)
        reports[path.parent.name] = evaluate(Assistant(own), path)
    if len(question_files) > 1:
        union = settings.with_overrides(index_dir=workdir / "union", copy_into_corpus=False)
        ingest([*union_docs, *extra], union, quiet=True)
        assistant = Assistant(union)
        reports["union"] = {path.parent.name: evaluate(assistant, path) for path in question_files}
    return reports


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
    if report.get("risk_coverage"):
        lines.append("Risiko–Abdeckung (Schwelle: beantwortet / fälschlich beantwortet):")
        lines += [
            f"  {row['threshold']:.1f}: {row['answered']:.2f} / {row['false_answers']:.2f}"
            for row in report["risk_coverage"]
        ]
    return "\n".join(lines)


def format_reports(reports: dict[str, Any]) -> str:
    """Several sets' reports: each on its own index, then each on the union index."""
    parts = [
        f"== {name} (eigener Index) ==\n{format_report(r)}"
        for name, r in reports.items()
        if name != "union"
    ]
    for name, report in reports.get("union", {}).items():
        parts.append(f"== {name} (gemeinsamer Index) ==\n{format_report(report)}")
    return "\n\n".join(parts)
