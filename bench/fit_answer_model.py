"""Fit the answer model (sentence scorer, abstention model, threshold) on the development sets.

Needs scikit-learn (a development dependency); the assistant itself runs the fitted model
with numpy alone. For every set, its index (``docs/`` plus ``corpus/``) is built in
``--workdir`` (or reused), every question is retrieved once, and the candidate sentences of
its best passages are labelled: does the sentence contain a gold fact (after the scorer's
normalisation)?

1. Cross-validation across the sets: fit on one, report the other, both directions.
2. The final fit on both sets, saved to ``assistant/answering/weights.json``.

The abstention threshold is the one with the best balanced accuracy averaged over both
held-out directions of step 1, or, with ``--target-false-answers``, the lowest one whose
out-of-fold rate of answered unanswerable questions (5-fold within the training data) stays
at or below that target.

Usage (from the repository root)::

    .venv/bin/python bench/fit_answer_model.py --workdir /tmp/answers-fit
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
if str(REPO_DIR) not in sys.path:  # run as a script: make ``assistant`` importable
    sys.path.insert(0, str(REPO_DIR))

from assistant.analysis import QueryTerms  # noqa: E402
from assistant.answering.abstention import FEATURES as EVIDENCE_FEATURES  # noqa: E402
from assistant.answering.abstention import evidence_features  # noqa: E402
from assistant.answering.answer_types import answer_type, wants_list  # noqa: E402
from assistant.answering.evidence import (  # noqa: E402
    FEATURES,
    Candidate,
    candidates,
    unknown_features,
)
from assistant.answering.extractive import quotes, rank, select  # noqa: E402
from assistant.answering.model import AnswerModel, LogisticModel, Selection  # noqa: E402
from assistant.cli_answers import turns_from_json  # noqa: E402
from assistant.evaluation import NAMES, document_name, evaluate, normalise  # noqa: E402
from assistant.ingest import ingest  # noqa: E402
from assistant.question import QuestionForm  # noqa: E402
from assistant.retrieval import Retrieval  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import DEFAULT_EMBEDDING_MODEL, Settings  # noqa: E402

SHARED = REPO_DIR.parent / "shared"
SETS = ("devset", "devset2")


@dataclass
class Example:
    """One question's retrieval and candidates, with gold labels."""

    question: dict[str, Any]
    form: QuestionForm
    found: Retrieval
    terms: QueryTerms
    candidates: list[Candidate]
    labels: np.ndarray  # per candidate: holds a gold fact


def settings_for(index_dir: Path) -> Settings:
    return Settings.model_validate(
        {
            "index_dir": index_dir,
            "embedding_model": DEFAULT_EMBEDDING_MODEL,
            "llm": "none",
            "copy_into_corpus": False,  # the dev sets' documents never land in corpus/
        }
    )


def build_index(name: str, workdir: Path, union: bool = False) -> Path:
    index = workdir / name
    docs = [SHARED / s / "docs" for s in SETS] if union else [SHARED / name / "docs"]
    ingest([*docs, REPO_DIR / "corpus"], settings_for(index), quiet=True)
    return index


def collect(name: str, index: Path) -> tuple[Assistant, list[Example]]:
    assistant = Assistant(settings_for(index))
    questions = [
        json.loads(line)
        for line in (SHARED / name / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    examples = []
    for question in questions:
        standalone, found = assistant.retrieve(
            question["question"], turns_from_json(question.get("history"), name)
        )
        form = standalone.form
        lexical = found.snapshot.lexical
        terms = lexical.analyze(form.text)
        context = lexical.analyze(" ".join(standalone.carried)) if standalone.carried else None
        found_candidates = candidates(found, terms, answer_type(form), wants_list(form), context)
        facts = [normalise(f) for f in question.get("gold_facts", [])]
        labels = np.asarray(
            [any(f in normalise(c.shown) for f in facts) for c in found_candidates], dtype=int
        )
        examples.append(Example(question, form, found, terms, found_candidates, labels))
    return assistant, examples


def _logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str], c: float) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 1e-9, scaler.scale_, 1.0)
    fitted = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(
        (x - scaler.mean_) / scale, y
    )
    return LogisticModel(
        list(names),
        [round(float(v), 5) for v in fitted.coef_[0]],
        round(float(fitted.intercept_[0]), 5),
        [round(float(v), 5) for v in scaler.mean_],
        [round(float(v), 5) for v in scale],
    )


SENTENCE_C = 0.05  # L2 strength, chosen by both held-out directions (README, "Messwerte")
ABSTENTION_CS = (0.01, 0.05, 0.5)  # L2 strengths tried; main() keeps the best held out


def fit_sentence_model(examples: Sequence[Example]) -> LogisticModel:
    rows = [  # other languages' lexical signals are unknown at run time, so not fitted on
        e
        for e in examples
        if e.question.get("answerable", True)
        and e.candidates
        and not unknown_features(e.form.language)
    ]
    x = np.vstack([[[c.features[n] for n in FEATURES] for c in e.candidates] for e in rows])
    y = np.concatenate([e.labels for e in rows])
    return _logistic(x, y, FEATURES, c=SENTENCE_C)


def evidence_matrix(examples: Sequence[Example], model: AnswerModel) -> np.ndarray:
    rows = []
    for e in examples:
        ranked = rank(e.candidates, model, unknown_features(e.form.language))
        rows.append(evidence_features(e.form, e.found, e.terms, ranked))
    return np.vstack(rows)


_GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def _target_threshold(probabilities: np.ndarray, answerable: np.ndarray, target: float) -> float:
    """The lowest threshold whose rate of answered unanswerable questions is <= target."""
    unanswerable = probabilities[~answerable]
    for t in _GRID:
        if not len(unanswerable) or np.mean(unanswerable >= t) <= target:
            return float(t)
    return 0.95


MAX_FALSE_ANSWERS = 0.5  # a model that answers most unanswerable questions does not abstain


def cross_set_threshold(directions: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """The threshold with the best balanced accuracy ((answered + refused) / 2), averaged over
    both held-out directions, among those that answer at most ``MAX_FALSE_ANSWERS`` of the
    unanswerable questions in either direction; the lowest of equals. (Searching it within one
    training set instead was measured: with 10 unanswerable training questions it chose 0.67
    and answered 19 % of the other set's answerable questions.)"""
    abstaining = [
        t for t in _GRID if all(np.mean(p[~y] >= t) <= MAX_FALSE_ANSWERS for p, y in directions)
    ]
    return float(max(abstaining or _GRID, key=lambda t: balanced_accuracy(directions, t)))


def balanced_accuracy(directions: Sequence[tuple[np.ndarray, np.ndarray]], t: float) -> float:
    """(answered share of answerable + refused share of unanswerable) / 2, over directions."""
    return float(np.mean([np.mean(p[y] >= t) + np.mean(p[~y] < t) for p, y in directions]) / 2)


THRESHOLD_SHIFTS = (-0.05, -0.025, 0.0, 0.025, 0.05)


def robust_accuracy(directions: Sequence[tuple[np.ndarray, np.ndarray]], t: float) -> float:
    """Balanced accuracy averaged over thresholds near ``t``: what is left when unseen
    questions' probabilities shift a little. A model whose probabilities crowd around the
    threshold scores well at exactly ``t`` and collapses beside it."""
    return float(np.mean([balanced_accuracy(directions, t + shift) for shift in THRESHOLD_SHIFTS]))


def held_out(model: AnswerModel, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Answer probabilities of ``model`` on other questions, and which are answerable."""
    probabilities = model.abstention.probability(evidence_matrix(examples, model))
    return probabilities, np.asarray([bool(e.question.get("answerable", True)) for e in examples])


def fit(
    examples: Sequence[Example], target: float | None, names: list[str], abstention_c: float
) -> AnswerModel:
    from sklearn.model_selection import StratifiedKFold

    placeholder = LogisticModel(
        list(EVIDENCE_FEATURES),
        [0.0] * len(EVIDENCE_FEATURES),
        0.0,
        [0.0] * len(EVIDENCE_FEATURES),
        [1.0] * len(EVIDENCE_FEATURES),
    )
    model = AnswerModel(fit_sentence_model(examples), placeholder, 0.5, Selection(), names)
    model.selection = fit_selection(examples, model)
    x = evidence_matrix(examples, model)
    y = np.asarray([bool(e.question.get("answerable", True)) for e in examples])
    model.abstention = _logistic(x, y.astype(int), EVIDENCE_FEATURES, c=abstention_c)
    if target is not None:
        out_of_fold = np.zeros(len(y))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            fold = _logistic(x[train], y[train].astype(int), EVIDENCE_FEATURES, c=abstention_c)
            out_of_fold[test] = fold.probability(x[test])
        model.threshold = _target_threshold(out_of_fold, y, target)
    model.notes = {
        "abstention_c": abstention_c,
        "target_false_answers": target,
        "sentences": int(sum(len(e.labels) for e in examples)),
    }
    return model


_SELECTIONS = [
    Selection(sentences, chars, floor, weight)
    for sentences in (2, 3, 4)
    for chars in (300, 380, 450)
    for floor in (0.2, 0.35, 0.5, 0.7)
    for weight in (0.5, 0.7, 0.9)
]
_MAX_MEAN_LENGTH = 450  # characters of quoted text; markers and lead-ins come on top


_LIST_CHARS = (0, 450, 600, 750, 900)  # 0: a list question gets no further list items


def fit_selection(examples: Sequence[Example], model: AnswerModel) -> Selection:
    """The selection constants with the best sum of gold-fact coverage and citation precision
    of the quoted sentences on the answerable training questions, within the length budget;
    then, for those, the budget of list answers."""
    rows = [e for e in examples if e.question.get("answerable", True)]
    ranked = [rank(e.candidates, model, unknown_features(e.form.language)) for e in rows]
    best = _best_selection(rows, ranked, _SELECTIONS)
    return _best_selection(rows, ranked, [replace(best, list_chars=n) for n in _LIST_CHARS])


def _best_selection(
    rows: Sequence[Example], ranked: Sequence[list[Candidate]], selections: Sequence[Selection]
) -> Selection:
    best, best_value = Selection(), -1.0
    for selection in selections:
        covered = total = length = cited = cited_gold = 0
        for example, order in zip(rows, ranked, strict=True):
            chosen = quotes(
                select(order, selection, wants_list(example.form)),
                example.found,
                selection.list_chars,
            )
            text = " ".join(q.text for q in chosen)
            answer = normalise(text)
            facts = [normalise(f) for f in example.question.get("gold_facts", [])]
            gold = {document_name(g) for g in example.question.get("gold_docs", [])}
            sources = {
                document_name(example.found.passages[q.passage_index].source) for q in chosen
            }
            covered += sum(f in answer for f in facts)
            total += len(facts)
            length += len(text)
            cited += len(sources)
            cited_gold += len(sources & gold)
        value = covered / max(total, 1) + cited_gold / max(cited, 1)
        if length / max(len(rows), 1) <= _MAX_MEAN_LENGTH and value > best_value:
            best, best_value = selection, value
    return best


def report(assistant: Assistant, name: str, model: AnswerModel) -> dict[str, Any]:
    assistant.answer_model = model
    return evaluate(assistant, SHARED / name / "questions.jsonl")


def _table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    header = "| | " + " | ".join(NAMES) + " |"
    lines = [header, "|---" * (len(NAMES) + 1) + "|"]
    for label, figures in rows:
        lines.append(
            f"| {label} | "
            + " | ".join(
                f"{figures[n]:.3f}" if n != "mean_answer_length" else f"{figures[n]:.0f}"
                for n in NAMES
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/answers-fit"))
    parser.add_argument(
        "--target-false-answers",
        type=float,
        help="threshold for this rate of answered unanswerable questions (default: best "
        "balanced accuracy across both held-out directions)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write weights.json")
    parser.add_argument("--skip-union", action="store_true")
    args = parser.parse_args(argv)

    assistants: dict[str, Assistant] = {}
    examples: dict[str, list[Example]] = {}
    for name in SETS:
        print(f"collecting {name} ...", file=sys.stderr, flush=True)
        assistants[name], examples[name] = collect(name, build_index(name, args.workdir))
    rows: list[tuple[str, dict[str, Any]]] = []
    curves: dict[str, Any] = {}
    target = args.target_false_answers
    best: tuple[float, float, float, dict[tuple[str, str], AnswerModel]] | None = None
    for c in ABSTENTION_CS:  # the L2 strength whose held-out threshold holds up best
        models = {p: fit(examples[p[0]], target, [p[0]], c) for p in (SETS, SETS[::-1])}
        directions = [held_out(model, examples[test]) for (_, test), model in models.items()]
        threshold = cross_set_threshold(directions)
        accuracy = robust_accuracy(directions, threshold)
        print(
            f"abstention C {c}: threshold {threshold}, held-out balanced accuracy "
            f"{balanced_accuracy(directions, threshold):.3f}, within ±0.05: {accuracy:.3f}",
            file=sys.stderr,
        )
        if best is None or accuracy > best[0]:
            best = (accuracy, c, threshold, models)
    assert best is not None
    _, abstention_c, threshold, models = best
    for (train, test), model in models.items():
        if target is None:
            model.threshold = threshold
        figures = report(assistants[test], test, model)
        rows.append((f"fit {train} → {test}", figures))
        curves[f"{train} → {test}"] = figures.get("risk_coverage")
        print(
            f"CV {train} -> {test}: threshold {model.threshold}, {model.selection}",
            file=sys.stderr,
            flush=True,
        )
    final = fit(examples[SETS[0]] + examples[SETS[1]], target, list(SETS), abstention_c)
    if target is None:
        final.threshold = threshold
    for name in SETS:
        rows.append((f"final, {name}", report(assistants[name], name, final)))
    if not args.skip_union:
        union = Assistant(settings_for(build_index("union", args.workdir, union=True)))
        for name in SETS:
            rows.append((f"final, {name}, union index", report(union, name, final)))
    if not args.no_save:
        final.save()
    print(_table(rows))
    print()
    print(f"final threshold {final.threshold}, {final.selection}")
    for label, curve in curves.items():
        print(f"risk-coverage {label}: " + json.dumps(curve))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
