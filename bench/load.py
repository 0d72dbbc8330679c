"""Load benchmark of the web chat: simulated users ask development-set questions at once.

For each level of 1, 8 and 32 users (``--users``) it starts the app itself (``python -m
assistant serve``) on a free port on 127.0.0.1, so no level profits from the caches of the one
before, and lets the users ask concurrently through the chat's API endpoint ``/frage``, using
Gradio's HTTP interface (``POST /gradio_api/call/frage``, then the answer's event stream).
Every user asks the development questions in turn (each from another starting point,
follow-ups with their history), one after the other, for ``--seconds``. Once the users have
gone through the 65 questions, repeats are answered faster (the app caches question
embeddings), as repeated citizen questions would be.

Reported per level: answers per second, and p50/p95 of the time to the first streamed part of
the answer ("first token": queue wait included) and to the complete answer with its sources.
Users, duration and request time are bounded; nothing leaves 127.0.0.1. Figures also go to
``bench/results/load.json``.

The index is ``--index DIR``, or, without it, the app's own first-start ingest builds one from
the development documents plus ``corpus/`` in a temporary folder (that takes a minute or two).

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --index /tmp/devset-index --users 1 8 32 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``assistant`` importable
    sys.path.insert(0, str(ROOT))

from assistant.settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared"
QUESTIONS = SHARED / "devset/questions.jsonl"
DEVSET_DOCS = SHARED / "devset/docs"
RESULTS = ROOT / "bench/results/load.json"
MAX_USERS = 64
MAX_SECONDS = 300
REQUEST_TIMEOUT = 120.0
STARTUP_TIMEOUT = 600.0


@dataclass(frozen=True)
class Question:
    text: str
    history: list[dict[str, str]]


@dataclass(frozen=True)
class Sample:
    first: float  # seconds from sending the question to the first part of the answer
    total: float  # seconds to the complete answer
    fresh: bool = False  # asked for the first time in this app (nothing cached for it)


def load_questions() -> list[Question]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [
        Question(q["question"], q["history"]) for q in map(json.loads, filter(str.strip, lines))
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bounded(low: int, high: int) -> Any:
    def parse(value: str) -> int:
        number = int(value)
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"erlaubt sind {low} bis {high}")
        return number

    return parse


def ask(client: httpx.Client, base: str, question: Question) -> Sample:
    """One question through /frage; raises on an error event or a broken stream."""
    start = time.perf_counter()
    posted = client.post(
        f"{base}gradio_api/call/frage", json={"data": [question.text, question.history]}
    )
    posted.raise_for_status()
    first: float | None = None
    event = ""
    with client.stream("GET", f"{base}gradio_api/call/frage/{posted.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in {"generating", "complete"}:
                now = time.perf_counter() - start
                first = now if first is None else first
                if event == "complete":
                    return Sample(first, now)
            elif line.startswith("data:") and event == "error":
                raise RuntimeError(f"Fehler vom Server: {line.removeprefix('data:').strip()}")
    raise RuntimeError("Der Antwortstrom endete ohne vollständige Antwort.")


@dataclass
class Level:
    """What the users of one level measured; users append from their threads."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    asked: set[int] = field(default_factory=set)  # questions asked so far (or in the warm-up)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_time(self, question: int) -> bool:
        with self.lock:
            fresh = question not in self.asked
            self.asked.add(question)
            return fresh

    def add(self, sample: Sample | None = None, error: str | None = None) -> None:
        with self.lock:
            if sample:
                self.samples.append(sample)
            if error:
                self.errors.append(error)


def simulate_user(
    base: str, questions: list[Question], offset: int, deadline: float, level: Level
) -> None:
    """Ask one question after the other until the deadline (the last one is finished)."""
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        turn = 0
        while time.monotonic() < deadline:
            number = (offset + turn) % len(questions)
            turn += 1
            fresh = level.first_time(number)
            try:
                sample = ask(client, base, questions[number])
                level.add(sample=Sample(sample.first, sample.total, fresh))
            except (httpx.HTTPError, RuntimeError, KeyError) as error:
                level.add(error=f"{type(error).__name__}: {error}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _latencies(samples: list[Sample], prefix: str = "") -> dict[str, float | None]:
    first = [s.first for s in samples]
    total = [s.total for s in samples]
    return {
        f"{prefix}first_token_p50": round(statistics.median(first), 3) if first else None,
        f"{prefix}first_token_p95": round(percentile(first, 0.95), 3) if first else None,
        f"{prefix}answer_p50": round(statistics.median(total), 3) if total else None,
        f"{prefix}answer_p95": round(percentile(total, 0.95), 3) if total else None,
    }


def run_level(base: str, questions: list[Question], users: int, seconds: float) -> dict[str, Any]:
    level = Level(asked={len(questions) - 1})  # the warm-up question
    started = time.monotonic()
    spread = max(1, len(questions) // users)  # users start at different questions
    threads = [
        threading.Thread(
            target=simulate_user, args=(base, questions, user * spread, started + seconds, level)
        )
        for user in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    fresh = [s for s in level.samples if s.fresh]
    return {
        "users": users,
        "answers": len(level.samples),
        "errors": len(level.errors),
        "error_examples": sorted(set(level.errors))[:3],
        "seconds": round(elapsed, 1),
        "answers_per_second": round(len(level.samples) / elapsed, 2),
        **_latencies(level.samples),
        "fresh_answers": len(fresh),
        **_latencies(fresh, "fresh_"),
    }


def _corpus_copy(folder: Path) -> Path:
    """The development documents plus corpus/ in one folder, for the app's first-start ingest."""
    corpus = folder / "corpus"
    if corpus.exists():  # copied for an earlier level, whose app built the index from it
        return corpus
    corpus.mkdir()
    for source in (DEVSET_DOCS, ROOT / "corpus"):
        for file in source.iterdir():
            if file.is_file():
                shutil.copy(file, corpus / file.name)
    return corpus


@contextmanager
def running_app(index: Path | None, workdir: Path, concurrency_limit: int) -> Iterator[str]:
    """Start ``assistant serve`` on a free local port; yields its base URL."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment |= {
        "ASSISTANT_HOST": "127.0.0.1",
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_INDEX_DIR": str(index or workdir / "index"),
        "ASSISTANT_CORPUS_DIR": str(DEVSET_DOCS if index else _corpus_copy(workdir)),
        "ASSISTANT_FEEDBACK_DIR": str(workdir / "feedback"),
        "ASSISTANT_CONCURRENCY_LIMIT": str(concurrency_limit),
    }
    log_path = workdir / "server.log"
    base = f"http://127.0.0.1:{port}/"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base, process, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"Die App hat sich beendet:\n{log_path.read_text(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(base, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"Die App war nach {STARTUP_TIMEOUT:.0f} s nicht erreichbar.")


def _pair(level: dict[str, Any], key: str) -> str:
    return f"{level[key + '_p50']}/{level[key + '_p95']} s"


def print_table(levels: list[dict[str, Any]]) -> None:
    """Latencies of all answers, and of the questions asked for the first time (uncached)."""
    header = ("Nutzer", "Antworten", "Fehler", "Antw./s", "1. Teil p50/p95", "Antwort p50/p95",
              "erstmals gefragt", "davon 1. Teil", "davon Antwort")  # fmt: skip
    rows = [
        (level["users"], level["answers"], level["errors"], level["answers_per_second"],
         _pair(level, "first_token"), _pair(level, "answer"), level["fresh_answers"],
         _pair(level, "fresh_first_token"), _pair(level, "fresh_answer"))
        for level in levels
    ]  # fmt: skip
    widths = [
        max(len(str(value)) for value in column) for column in zip(header, *rows, strict=True)
    ]
    for row in (header, *rows):
        print("  ".join(str(value).rjust(width) for value, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, help="vorhandener Index (sonst wird einer gebaut)")
    parser.add_argument("--users", type=_bounded(1, MAX_USERS), nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--seconds", type=_bounded(1, MAX_SECONDS), default=20, help="Dauer je Stufe"
    )
    parser.add_argument(
        "--concurrency-limit",
        type=_bounded(1, MAX_USERS),
        default=Settings.model_fields["concurrency_limit"].default,
        help="gleichzeitig beantwortete Fragen (ASSISTANT_CONCURRENCY_LIMIT)",
    )
    args = parser.parse_args()
    questions = load_questions()
    levels = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        for users in args.users:  # a fresh app per level: no answers cached by the level before
            with running_app(args.index, Path(folder), args.concurrency_limit) as base:
                with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
                    ask(client, base, questions[-1])  # warm-up: loads the model and the index
                levels.append(run_level(base, questions, users, args.seconds))
            print(f"{users} Nutzer: {levels[-1]['answers']} Antworten", file=sys.stderr)
    report = {
        "cpus": os.cpu_count(),
        "concurrency_limit": args.concurrency_limit,
        "seconds_per_level": args.seconds,
        "levels": levels,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print_table(levels)


if __name__ == "__main__":
    main()
