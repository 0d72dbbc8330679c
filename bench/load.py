"""Load benchmark of the web chat: simulated users ask development-set questions at once.

One app (``python -m assistant serve``) on a free port on 127.0.0.1 serves all levels, so its
memory can be followed: for each level of 1, 8, 32, 64 and 128 users (``--users``) the users
ask concurrently through the chat's API endpoint ``/frage`` (``POST /gradio_api/call/frage``,
then the answer's event stream), one question after the other, for ``--seconds``. Then a flood
of ``--flood`` requests whose answers are never read arrives while 8 real users keep asking.
Finally the app idles for ``--idle-seconds`` (a minute by default).

Reported per level: answers, German refusals ("Zu viele Anfragen …", HTTP 429, when the queue
of ``queue_max_size`` waiting questions is full), lost requests (anything else: errors, broken
streams, timeouts; must be 0), answers per second, p50/p95 of the time to the first streamed
part of the answer (queue wait included) and to the complete answer, and the server's resident
memory (RSS) at the start, after each level and after the idle time. Repeated questions are
answered faster (the app caches question embeddings); "erstmals" columns show first askings.

``--cluster`` runs the same through nginx in front of two instances (``deploy/cluster.sh``, one
index folder); RSS is then the sum of both instances. The per-client rate limits are switched
off for the benchmark (all simulated users come from 127.0.0.1); the queue cap stays on.
Users, duration and request time are bounded; nothing leaves 127.0.0.1. Figures also go to
``bench/results/load.json`` (``load-cluster.json``).

The index is ``--index DIR``, or, without it, the app's own first-start ingest builds one from
the development documents plus ``corpus/`` in a temporary folder (that takes a minute or two).

    .venv/bin/python bench/load.py --index /tmp/devset-index
    .venv/bin/python bench/load.py --index /tmp/devset-index --users 1 8 32 --seconds 10 \\
        --idle-seconds 5 --cluster
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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
RESULTS = ROOT / "bench/results"
MAX_USERS = 128
MAX_SECONDS = 300
MAX_FLOOD = 2000
REQUEST_TIMEOUT = 120.0
STARTUP_TIMEOUT = 600.0
BUSY = "Zu viele Anfragen"


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


class Refused(Exception):
    """The server's German "too many requests" (HTTP 429): not a lost request."""


def ask(client: httpx.Client, base: str, question: Question) -> Sample:
    """One question through /frage; raises on a refusal, an error event or a broken stream."""
    start = time.perf_counter()
    posted = client.post(
        f"{base}gradio_api/call/frage", json={"data": [question.text, question.history]}
    )
    if posted.status_code == 429 and BUSY in posted.json().get("detail", ""):
        raise Refused(int(posted.headers.get("retry-after", "1")))
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

    asked: set[int]  # questions asked so far in this app (shared by all levels)
    samples: list[Sample] = field(default_factory=list)
    refused: int = 0
    errors: list[str] = field(default_factory=list)
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

    def add_refusal(self) -> None:
        with self.lock:
            self.refused += 1


def simulate_user(
    base: str, questions: list[Question], user: int, offset: int, deadline: float, level: Level
) -> None:
    """Ask one question after the other until the deadline; after a refusal wait as told."""
    headers = {"User-Agent": f"bench-user-{user}"}  # nginx routes browsers by agent + address
    with httpx.Client(timeout=REQUEST_TIMEOUT, headers=headers) as client:
        turn = 0
        while time.monotonic() < deadline:
            number = (offset + turn) % len(questions)
            turn += 1
            try:
                sample = ask(client, base, questions[number])
                level.add(sample=Sample(sample.first, sample.total, level.first_time(number)))
            except Refused as refusal:
                level.add_refusal()
                time.sleep(min(5, int(refusal.args[0])))
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as error:
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


def run_level(
    base: str, questions: list[Question], users: int, seconds: float, asked: set[int]
) -> Level:
    level = Level(asked)
    started = time.monotonic()
    spread = max(1, len(questions) // users)  # users start at different questions
    threads = [
        threading.Thread(
            target=simulate_user,
            args=(base, questions, user, user * spread, started + seconds, level),
        )
        for user in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return level


def summary(name: str, users: int, level: Level, elapsed: float, rss: int) -> dict[str, Any]:
    fresh = [s for s in level.samples if s.fresh]
    return {
        "level": name,
        "users": users,
        "answers": len(level.samples),
        "refused": level.refused,
        "lost": len(level.errors),
        "error_examples": sorted(set(level.errors))[:3],
        "seconds": round(elapsed, 1),
        "answers_per_second": round(len(level.samples) / elapsed, 2),
        **_latencies(level.samples),
        "fresh_answers": len(fresh),
        **_latencies(fresh, "fresh_"),
        "rss_mb": rss,
    }


def flood(base: str, count: int) -> tuple[int, int, int]:
    """Post ``count`` questions and never read their answers: (accepted, refused, failed)."""
    accepted = refused = failed = 0
    lock = threading.Lock()
    pending = iter(range(count))

    def post_some() -> None:
        nonlocal accepted, refused, failed
        with httpx.Client(timeout=30, headers={"User-Agent": "bench-flood"}) as client:
            for number in pending:
                try:
                    status = client.post(
                        f"{base}gradio_api/call/frage",
                        json={"data": [f"Flut {number}: Was ist die StrategieWerkstatt?", []]},
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    accepted += status == 200
                    refused += status == 429
                    failed += status not in {200, 429}

    threads = [threading.Thread(target=post_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return accepted, refused, failed


# --- The app under test: one process, or two behind nginx -------------------------------------


@dataclass
class Server:
    url: str
    pids: list[int]

    def rss_mb(self) -> int:
        """Resident memory of the app process(es) in MiB."""
        total = 0
        for pid in self.pids:
            status = Path(f"/proc/{pid}/status").read_text()
            line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
            total += int(line.split()[1])
        return round(total / 1024)


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for first in range(22000 + os.getpid() % 5000, 40000, count):
        try:
            probes = [socket.create_server(("127.0.0.1", first + i)) for i in range(count)]
        except OSError:
            continue
        for probe in probes:
            probe.close()
        return first
    raise SystemExit("Keine freien Ports.")


def _corpus_copy(folder: Path) -> Path:
    """The development documents plus corpus/ in one folder, for the app's first-start ingest."""
    corpus = folder / "corpus"
    corpus.mkdir()
    for source in (DEVSET_DOCS, ROOT / "corpus"):
        for file in source.iterdir():
            if file.is_file():
                shutil.copy(file, corpus / file.name)
    return corpus


def _environment(index: Path | None, workdir: Path, args: argparse.Namespace) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return environment | {
        "ASSISTANT_HOST": "127.0.0.1",
        "ASSISTANT_INDEX_DIR": str(index or workdir / "index"),
        "ASSISTANT_CORPUS_DIR": str(DEVSET_DOCS if index else _corpus_copy(workdir)),
        "ASSISTANT_FEEDBACK_DIR": str(workdir / "feedback"),
        "ASSISTANT_CONCURRENCY_LIMIT": str(args.concurrency_limit),
        "ASSISTANT_QUEUE_MAX_SIZE": str(args.queue_max_size),
        "ASSISTANT_QUESTIONS_PER_MINUTE": "0",
        "ASSISTANT_VOTES_PER_MINUTE": "0",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }


@contextmanager
def running_server(index: Path | None, workdir: Path, args: argparse.Namespace) -> Iterator[Server]:
    """``assistant serve`` on a free port, or ``deploy/cluster.sh`` with ``--cluster``."""
    environment = _environment(index, workdir, args)
    first = free_ports(3)
    if args.cluster:
        run = workdir / "run"
        command = ["bash", str(ROOT / "deploy/cluster.sh")]
        environment |= {
            "CLUSTER_RUN_DIR": str(run), "CLUSTER_PORT": str(first + 2),
            "CLUSTER_FIRST_PORT": str(first), "PYTHON": sys.executable,
        }  # fmt: skip
        url = f"http://127.0.0.1:{first + 2}/"
    else:
        command = [sys.executable, "-m", "assistant", "serve"]
        environment["ASSISTANT_PORT"] = str(first)
        url = f"http://127.0.0.1:{first}/"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_up(url, process, log_path)
            pids = (
                [int((run / f"instance-{i}.pid").read_text()) for i in (1, 2)]
                if args.cluster
                else [process.pid]
            )
            yield Server(url, pids)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"Die App hat sich beendet:\n{log_path.read_text(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(url + "gesundheit", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"Die App war nach {STARTUP_TIMEOUT:.0f} s nicht erreichbar.")


# --- Report ----------------------------------------------------------------------------------


def _pair(level: dict[str, Any], key: str) -> str:
    return f"{level[key + '_p50']}/{level[key + '_p95']} s"


def print_table(rows_in: list[dict[str, Any]]) -> None:
    header = ("Stufe", "Nutzer", "Antworten", "abgewiesen", "verloren", "Antw./s",
              "1. Teil p50/p95", "Antwort p50/p95", "erstmals", "davon Antwort",
              "RSS MiB")  # fmt: skip
    rows = [
        (row["level"], row["users"], row["answers"], row["refused"], row["lost"],
         row["answers_per_second"], _pair(row, "first_token"), _pair(row, "answer"),
         row["fresh_answers"], _pair(row, "fresh_answer"), row["rss_mb"])
        for row in rows_in
    ]  # fmt: skip
    widths = [
        max(len(str(value)) for value in column) for column in zip(header, *rows, strict=True)
    ]
    for row in (header, *rows):
        print("  ".join(str(value).rjust(width) for value, width in zip(row, widths, strict=True)))


def measure(server: Server, questions: list[Question], args: argparse.Namespace) -> dict[str, Any]:
    asked = {len(questions) - 1}
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        ask(client, server.url, questions[-1])  # warm-up: loads the model and the index
    rss_start = server.rss_mb()
    levels = []
    for users in args.users:
        started = time.monotonic()
        level = run_level(server.url, questions, users, args.seconds, asked)
        levels.append(summary("Last", users, level, time.monotonic() - started, server.rss_mb()))
        print(f"{users} Nutzer: {len(level.samples)} Antworten", file=sys.stderr)
    # A flood of unread requests while 8 real users go on asking.
    started = time.monotonic()
    result: dict[str, tuple[int, int, int]] = {}
    flooding = threading.Thread(
        target=lambda: result.setdefault("flood", flood(server.url, args.flood))
    )
    flooding.start()
    level = run_level(server.url, questions, 8, args.seconds, asked)
    flooding.join()
    levels.append(summary("Flut", 8, level, time.monotonic() - started, server.rss_mb()))
    accepted, refused, failed = result["flood"]
    time.sleep(args.idle_seconds)
    return {
        "levels": levels,
        "flood": {"sent": args.flood, "accepted": accepted, "refused": refused, "failed": failed},
        "rss_mb": {"start": rss_start, "idle": server.rss_mb()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Settings.model_fields
    parser.add_argument("--index", type=Path, help="vorhandener Index (sonst wird einer gebaut)")
    parser.add_argument(
        "--users", type=_bounded(1, MAX_USERS), nargs="+", default=[1, 8, 32, 64, 128]
    )
    parser.add_argument(
        "--seconds", type=_bounded(1, MAX_SECONDS), default=20, help="Dauer je Stufe"
    )
    parser.add_argument(
        "--idle-seconds", type=_bounded(0, 600), default=60, help="Ruhezeit vor der letzten RSS"
    )
    parser.add_argument(
        "--flood", type=_bounded(0, MAX_FLOOD), default=300, help="nie gelesene Anfragen"
    )
    parser.add_argument(
        "--concurrency-limit", type=_bounded(1, MAX_USERS),
        default=defaults["concurrency_limit"].default,
        help="gleichzeitig beantwortete Fragen (ASSISTANT_CONCURRENCY_LIMIT)",
    )  # fmt: skip
    parser.add_argument(
        "--queue-max-size", type=_bounded(1, MAX_FLOOD),
        default=defaults["queue_max_size"].default,
        help="wartende Fragen, danach „Zu viele Anfragen“ (ASSISTANT_QUEUE_MAX_SIZE)",
    )  # fmt: skip
    parser.add_argument(
        "--cluster", action="store_true", help="zwei Instanzen hinter nginx (deploy/cluster.sh)"
    )
    args = parser.parse_args()
    questions = load_questions()
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as folder,
        running_server(args.index, Path(folder), args) as server,
    ):
        report = measure(server, questions, args)
    report |= {
        "cpus": os.cpu_count(),
        "instances": 2 if args.cluster else 1,
        "concurrency_limit": args.concurrency_limit,
        "queue_max_size": args.queue_max_size,
        "seconds_per_level": args.seconds,
        "idle_seconds": args.idle_seconds,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = RESULTS / ("load-cluster.json" if args.cluster else "load.json")
    results.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print("Zwei Instanzen hinter nginx" if args.cluster else "Eine Instanz")
    print_table(report["levels"])
    flooded = report["flood"]
    print(
        f"Flut: {flooded['sent']} nie gelesene Anfragen, {flooded['accepted']} angenommen, "
        f"{flooded['refused']} mit „Zu viele Anfragen“ abgewiesen, {flooded['failed']} Fehler"
    )
    rss = report["rss_mb"]
    print(f"RSS: Start {rss['start']} MiB, nach {args.idle_seconds} s Ruhe {rss['idle']} MiB")


if __name__ == "__main__":
    main()
