"""Two app instances behind a real nginx, started by ``deploy/cluster.sh`` on 127.0.0.1.

All on one index folder (a copy of the shared test index) and one feedback store: questions
through nginx with gradio_client, votes from both instances in one store, an ingest that both
instances pick up on their next question, one instance stopped while the other answers, and
nginx's own German refusals (too large; no instance left).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from playwright.sync_api import Browser
from ui_fixtures import DEVSET_QUESTION, ROOT, RunningApp, stopped_at_end
from web_fixtures import app_environment, copy_of_index

from assistant.feedback import FeedbackStore

pytest_plugins = ["ui_fixtures"]
pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx fehlt")

NEW_DOCUMENT = "2019-09-03_medieninformation_foerderpreis-kornblume.txt"
NEW_QUESTION = "Wer vergibt den Förderpreis Kornblume?"
NEW_TEXT = """Medieninformation

Datum: 03.09.2019

Förderpreis Kornblume für Sachsens Zulieferer

Den Förderpreis Kornblume vergibt die Sächsische Aufbaubank gemeinsam mit dem \
Industrieverein Sachsen 1828. Ausgezeichnet werden Zulieferbetriebe, die ihre Fertigung \
digitalisieren.
"""


@dataclass
class Cluster:
    url: str
    instances: list[str]
    run_dir: Path
    corpus: Path
    feedback: Path
    environment: dict[str, str]

    def pid(self, number: int) -> int:
        return int((self.run_dir / f"instance-{number}.pid").read_text())


def _free_consecutive_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for first in range(21000 + os.getpid() % 5000, 40000, count):
        try:
            probes = [socket.create_server(("127.0.0.1", first + i)) for i in range(count)]
        except OSError:
            continue
        for probe in probes:
            probe.close()
        return first
    raise RuntimeError("keine freien Ports")


@pytest.fixture(scope="module")
def cluster(running_app: RunningApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    corpus, index = copy_of_index(running_app, folder)
    first = _free_consecutive_ports(3)
    environment = app_environment(corpus, index, folder / "feedback") | {
        "CLUSTER_RUN_DIR": str(folder / "run"),
        "CLUSTER_PORT": str(first + 2),
        "CLUSTER_FIRST_PORT": str(first),
        "PYTHON": sys.executable,
    }
    log = folder / "cluster.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["bash", str(ROOT / "deploy/cluster.sh")], env=environment, cwd=ROOT,
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        with stopped_at_end(process):
            deadline = time.monotonic() + 120
            while "Bereit:" not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Cluster startet nicht:\n{log.read_text(errors='replace')}")
                time.sleep(0.3)
            yield Cluster(
                f"http://127.0.0.1:{first + 2}/",
                [f"http://127.0.0.1:{first}/", f"http://127.0.0.1:{first + 1}/"],
                folder / "run", corpus, folder / "feedback", environment,
            )  # fmt: skip


def ask(url: str, question: str, user_agent: str = "test") -> tuple[str, list[str]]:
    """Answer text and cited sources of one question through /frage (raw HTTP)."""
    headers = {"User-Agent": user_agent}
    posted = httpx.post(
        url + "gradio_api/call/frage", json={"data": [question, []]}, headers=headers, timeout=30
    )
    posted.raise_for_status()
    event = ""
    stream_url = f"{url}gradio_api/call/frage/{posted.json()['event_id']}"
    with httpx.stream("GET", stream_url, headers=headers, timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event == "complete":
                text, sources = json.loads(line.removeprefix("data:"))
                return text, [source["source"] for source in sources]
    raise AssertionError(f"keine Antwort von {url}")


def questions_answered(url: str) -> float:
    metrics = httpx.get(url + "metriken", timeout=10).text
    found = re.search(r"^assistant_questions_total (\S+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_questions_through_nginx_reach_both_instances(cluster: Cluster) -> None:
    client = Client(cluster.url, verbose=False)
    try:
        text, _ = client.predict(DEVSET_QUESTION, [], api_name="/frage")
    finally:
        client.close()
    assert "Schlaglicht" in text
    health = httpx.get(cluster.url + "gesundheit", timeout=10)
    assert health.status_code == 200 and health.json()["bereit"] is True
    # Sticky routing by browser (address and user agent): different browsers spread out.
    before = [questions_answered(url) for url in cluster.instances]
    for number in range(12):
        assert "Schlaglicht" in ask(cluster.url, DEVSET_QUESTION, f"Browser {number}")[0]
    added = [questions_answered(url) - b for url, b in zip(cluster.instances, before, strict=True)]
    assert sum(added) == 12 and min(added) >= 1, added


def test_votes_from_both_instances_land_in_one_store(cluster: Cluster, chromium: Browser) -> None:
    for url in cluster.instances:
        context = chromium.new_context(locale="de-DE")
        try:
            page = context.new_page()
            page.goto(url)
            box = page.get_by_label("Ihre Frage")
            box.fill(DEVSET_QUESTION)
            box.press("Enter")
            page.wait_for_function(
                """() => document.querySelector('#gespraech .antwort')
                    && !document.querySelector('#gespraech .antwort-laeuft')""",
                timeout=60_000,
            )
            page.locator("#gespraech").get_by_role(
                "button", name=re.compile(r"^(Like|Gefällt|Hilfreich)", re.IGNORECASE)
            ).first.click()
            page.locator("#meldung").get_by_text("Danke", exact=False).wait_for(timeout=10_000)
        finally:
            context.close()
    records = FeedbackStore(cluster.feedback).records()
    assert len(records) == 2 and all(r["question"] == DEVSET_QUESTION for r in records)


def test_an_ingest_switches_both_instances_and_one_keeps_answering_alone(
    cluster: Cluster,
) -> None:
    old = {
        httpx.get(url + "gesundheit", timeout=10).json()["indexversion"]
        for url in cluster.instances
    }
    assert len(old) == 1
    (cluster.corpus / NEW_DOCUMENT).write_text(NEW_TEXT, encoding="utf-8")
    ingest = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(cluster.corpus), "--quiet"],
        env=cluster.environment, cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    for url in cluster.instances:  # each switches on its next question, no restart
        text, sources = ask(url, NEW_QUESTION)
        assert "Aufbaubank" in text and NEW_DOCUMENT in sources
    new = {
        httpx.get(url + "gesundheit", timeout=10).json()["indexversion"]
        for url in cluster.instances
    }
    assert len(new) == 1 and new != old

    os.kill(cluster.pid(1), signal.SIGTERM)
    deadline = time.monotonic() + 20
    while True:  # until the first instance no longer listens
        try:
            httpx.get(cluster.instances[0] + "gesundheit", timeout=2)
        except httpx.TransportError:
            break
        assert time.monotonic() < deadline, "Instanz 1 läuft noch"
        time.sleep(0.3)
    for number in range(6):  # browsers that were routed to the stopped instance move over
        text, sources = ask(cluster.url, NEW_QUESTION, f"Browser {number}")
        assert NEW_DOCUMENT in sources

    os.kill(cluster.pid(2), signal.SIGTERM)  # none left: nginx says so in German
    deadline = time.monotonic() + 20
    while (page := httpx.get(cluster.url, timeout=10)).status_code == 200:
        assert time.monotonic() < deadline, "Instanz 2 läuft noch"
        time.sleep(0.3)
    assert page.status_code == 503 and page.headers["retry-after"] == "30"
    assert "Der Assistent ist vorübergehend nicht erreichbar" in page.text


def test_nginx_refuses_oversized_requests_in_german(cluster: Cluster) -> None:
    response = httpx.post(cluster.url + "gradio_api/queue/join", content=b"x" * 100_000)
    assert response.status_code == 413
    assert response.json()["detail"] == "Die Anfrage ist zu groß."
