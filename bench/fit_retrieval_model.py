"""Fit the passage scorer of retrieval on the development sets, against reciprocal-rank fusion.

Needs scikit-learn (a development dependency); the assistant runs the fitted model with numpy
alone. For every set, its index (``docs/`` plus ``corpus/``) is built in ``--workdir`` (or
reused), each answerable question is made standalone as the assistant does (follow-ups carry
their ``history``) and its candidate passages are gathered at every candidate depth tried.
A candidate's label is "holds a gold fact" (after the scorer's normalisation) or "is from a
gold document"; which one, the depth and the L2 strength C are chosen by the mean of both
held-out directions (fit on one set, measure on the other) of recall@5 + MRR@10 + fact
recall@5. The same is done for reciprocal-rank fusion (its constants chosen on one set,
measured on the other) as the baseline. Then the final fit on both sets is reported on each
set's own index and on the union index, and saved to ``assistant/retrieval_weights.json``.

Usage (from the repository root)::

    .venv/bin/python bench/fit_retrieval_model.py --workdir /tmp/retrieval-fit
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
for path in (REPO_DIR, REPO_DIR / "bench"):  # run as a script: make the imports work
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from fit_answer_model import SETS, SHARED, build_index, settings_for  # noqa: E402

from assistant.answering.model import LogisticModel  # noqa: E402
from assistant.cli_answers import turns_from_json  # noqa: E402
from assistant.conversation import standalone_question  # noqa: E402
from assistant.documents import Chunk  # noqa: E402
from assistant.evaluation import Tally, document_name, normalise, score_passages  # noqa: E402
from assistant.passage_features import FEATURES, Candidates, gather  # noqa: E402
from assistant.passage_model import PassageModel  # noqa: E402
from assistant.question import analyse_question  # noqa: E402
from assistant.retrieval import (  # noqa: E402
    HybridRetriever,
    Retrieval,
    asks_for_current_state,
    select,
)
from assistant.service import Assistant  # noqa: E402

DEPTHS = (30, 60, 100)
CS = (0.001, 0.003, 0.01, 0.03, 0.1)
LABELS = ("fact", "document", "fact_in_document", "graded")
Scorer = Callable[[Candidates], np.ndarray]


@dataclass
class Example:
    """One answerable question's candidates at every depth, with gold labels per candidate."""

    facts: list[str]
    gold: set[str]
    by_depth: dict[int, Candidates]

    def labels(self, depth: int, kind: str) -> np.ndarray:
        """Per candidate: 1 if it holds a gold fact ("fact"), is from a gold document
        ("document"), or both ("fact_in_document"); "graded" is 2 for a gold fact, 1 for
        another gold-document passage."""
        if kind == "graded":
            return self.labels(depth, "fact") + self.labels(depth, "document")
        if kind == "fact_in_document":
            return self.labels(depth, "fact") * self.labels(depth, "document")
        chunks = self.by_depth[depth]
        return np.asarray(
            [self._label(chunks.chunks[int(r)], kind) for r in chunks.rows], dtype=int
        )

    def _label(self, chunk: Chunk, kind: str) -> bool:
        if kind == "document":
            return document_name(chunk.source) in self.gold
        text = normalise(chunk.text)
        return any(f in text for f in self.facts)


def _placeholder() -> PassageModel:
    """Any model will do while questions are made standalone: only the dense cosine decides."""
    n = len(FEATURES)
    return PassageModel(LogisticModel(list(FEATURES), [0.0] * n, 0.0, [0.0] * n, [1.0] * n), 60)


def collect(name: str, index: Path, top_k: int, per_document: int) -> list[Example]:
    assistant = Assistant(settings_for(index))
    snapshot = assistant.snapshot()
    retriever = HybridRetriever(snapshot, assistant.embeddings, per_document, _placeholder())
    examples = []
    for line in (SHARED / name / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        question = json.loads(line) if line.strip() else None
        if not question or not question.get("answerable", True):
            continue
        form = analyse_question(question["question"])
        recent = asks_for_current_state(form.text)

        def search(query: str, recent: bool = recent) -> Retrieval:
            return retriever.retrieve(query, top_k, recent)

        history = turns_from_json(question.get("history"), name)
        standalone, _ = standalone_question(form, history, search)
        vector = assistant.embeddings.embed_question(standalone.query)
        terms = snapshot.lexical.analyze(standalone.query)
        examples.append(
            Example(
                [normalise(f) for f in question.get("gold_facts", [])],
                {document_name(g) for g in question.get("gold_docs", [])},
                {d: gather(snapshot, vector, terms, d, recent) for d in DEPTHS},
            )
        )
    return examples


def figures(
    examples: Sequence[Example], depth: int, scorer: Scorer, top_k: int, per_document: int
) -> dict[str, float]:
    """recall@5, MRR@10 and fact recall@5 as the devset scorer counts them."""
    tally = Tally()
    for e in examples:
        found = e.by_depth[depth]
        scores = scorer(found) if len(found.rows) else np.zeros(0)
        order = [int(found.rows[i]) for i in np.argsort(-scores, kind="stable")]
        rows = select(order, found.chunks, top_k, per_document)
        passages = [{"source": found.chunks[r].source, "text": found.chunks[r].text} for r in rows]
        score_passages({"gold_docs": sorted(e.gold), "gold_facts": e.facts}, passages, tally)
    return {name: tally.mean(name) for name in ("recall@5", "mrr@10", "fact_recall@5")}


def _value(result: dict[str, float]) -> float:
    return sum(result.values())


# --- reciprocal-rank fusion, the baseline ------------------------------------------------


@dataclass(frozen=True)
class Fusion:
    depth: int = 60
    k: int = 30
    lexical_weight: float = 0.8
    recency_weight: float = 0.25

    def __call__(self, found: Candidates) -> np.ndarray:
        score = np.zeros(len(found.rows))
        for kind, weight in (("dense", 1.0), ("lexical", self.lexical_weight)):
            rank = np.expm1(found.column(f"{kind}_log_rank"))
            score += found.column(f"in_{kind}") * weight / (self.k + rank)
        return score + self.recency_weight * score.max() * found.column("newer")


TODAY = Fusion()
FUSIONS = [
    Fusion(d, k, w, r)
    for d, k, w, r in itertools.product(DEPTHS, (10, 30, 60), (0.5, 0.8, 1.0, 1.5), (0, 0.25, 0.5))
]


# --- the fitted scorer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    depth: int
    c: float
    label: str


SETTINGS = [Setting(d, c, lab) for d, c, lab in itertools.product(DEPTHS, CS, LABELS)]


def _pairs(z: Sequence[np.ndarray], y: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences (better minus worse labelled candidate) within each question, and
    weights that give every question the same total weight."""
    differences, weights = [], []
    for features, labels in zip(z, y, strict=True):
        pairs = [
            (features[labels == high][:, None, :] - features[labels == low][None, :, :]).reshape(
                -1, features.shape[1]
            )
            for high, low in itertools.combinations(sorted(set(labels.tolist()), reverse=True), 2)
        ]
        if pairs:
            question = np.vstack(pairs)
            differences.append(question)
            weights.append(np.full(len(question), 1.0 / len(question)))
    return np.vstack(differences), np.concatenate(weights)


def fit(examples: Sequence[Example], setting: Setting, names: list[str]) -> PassageModel:
    """Pairwise logistic regression (a better labelled candidate should outscore each worse
    one of the same question), then the scale and intercept of its score calibrated on
    whether candidates hold a gold fact: a passage's score is the probability that it does."""
    from sklearn.linear_model import LogisticRegression

    x = [e.by_depth[setting.depth].features for e in examples]
    y = [e.labels(setting.depth, setting.label) for e in examples]
    every = np.vstack(x)
    mean, scale = every.mean(axis=0), every.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = [(features - mean) / scale for features in x]
    differences, weights = _pairs(z, y)
    ranking = LogisticRegression(C=setting.c, fit_intercept=False, max_iter=5000).fit(
        np.vstack([differences, -differences]),
        np.r_[np.ones(len(differences)), np.zeros(len(differences))],
        sample_weight=np.r_[weights, weights] * len(z),
    )
    direction = ranking.coef_[0]
    holds_fact = np.concatenate([e.labels(setting.depth, "fact") for e in examples])
    calibration = LogisticRegression(C=1e6, max_iter=1000).fit(
        (np.vstack(z) @ direction)[:, None], holds_fact
    )
    slope = float(calibration.coef_[0][0])
    scorer = LogisticModel(
        list(FEATURES),
        [round(float(v) * slope, 5) for v in direction],
        round(float(calibration.intercept_[0]), 5),
        [round(float(v), 5) for v in mean],
        [round(float(v), 5) for v in scale],
    )
    notes = {"label": setting.label, "c": setting.c, "candidates_seen": len(every)}
    return PassageModel(scorer, setting.depth, names, notes)


def model_scorer(model: PassageModel) -> Scorer:
    return lambda found: model.scorer.probability(found.features)


def _table(rows: list[tuple[str, dict[str, float]]]) -> str:
    names = ("recall@5", "mrr@10", "fact_recall@5")
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [
        f"| {label} | " + " | ".join(f"{r[n]:.3f}" for n in names) + " |" for label, r in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/retrieval-fit"))
    parser.add_argument("--no-save", action="store_true", help="do not write the weights")
    parser.add_argument("--skip-union", action="store_true")
    args = parser.parse_args(argv)
    settings = settings_for(args.workdir)
    top_k, per_document = settings.top_k, settings.max_per_document

    def measure(examples: Sequence[Example], depth: int, scorer: Scorer) -> dict[str, float]:
        return figures(examples, depth, scorer, top_k, per_document)

    examples: dict[str, list[Example]] = {}
    for name in SETS:
        print(f"collecting {name} ...", file=sys.stderr, flush=True)
        examples[name] = collect(name, build_index(name, args.workdir), top_k, per_document)
    directions = [SETS, SETS[::-1]]
    rows: list[tuple[str, dict[str, float]]] = []

    # Baseline: today's constants, and constants chosen on one set and measured on the other.
    for name in SETS:
        rows.append((f"RRF today, {name}", measure(examples[name], TODAY.depth, TODAY)))
    for train, test in directions:
        best = max(FUSIONS, key=lambda f: _value(measure(examples[train], f.depth, f)))
        rows.append(
            (f"RRF chosen on {train} → {test} {best}", measure(examples[test], best.depth, best))
        )

    # Fitted scorer: every setting in both held-out directions; the best mean wins.
    held: dict[Setting, list[dict[str, float]]] = {}
    for setting in SETTINGS:
        held[setting] = [
            measure(
                examples[test], setting.depth, model_scorer(fit(examples[train], setting, [train]))
            )
            for train, test in directions
        ]
        print(f"{setting}: {held[setting]}", file=sys.stderr, flush=True)
    chosen = max(SETTINGS, key=lambda s: np.mean([_value(r) for r in held[s]]))
    for (train, test), result in zip(directions, held[chosen], strict=True):
        rows.append((f"fitted {train} → {test} (held out)", result))
    final = fit(examples[SETS[0]] + examples[SETS[1]], chosen, list(SETS))
    for name in SETS:
        rows.append(
            (f"fitted final, {name}", measure(examples[name], chosen.depth, model_scorer(final)))
        )
    if not args.skip_union:
        union = build_index("union", args.workdir, union=True)
        for name in SETS:
            on_union = collect(name, union, top_k, per_document)
            rows.append((f"RRF today, {name}, union index", measure(on_union, TODAY.depth, TODAY)))
            rows.append(
                (
                    f"fitted final, {name}, union index",
                    measure(on_union, chosen.depth, model_scorer(final)),
                )
            )
    if not args.no_save:
        final.save()
    print(_table(rows))
    print(f"\nchosen: {chosen}")
    print("coefficients: " + json.dumps(dict(zip(FEATURES, final.scorer.coef, strict=True))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
