"""How long ingest takes to refuse hostile or huge files under the default work limits.

    python bench/hostile.py [--seconds S]

Builds each file in a temporary corpus beside one good press release, ingests with a fake
(hashing) embedder and prints the time to the German refusal and its first words.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from fakes import HashingEmbeddings
from test_file_limits import GOOD, flate_bomb, huge_page_stream, page_tree

from assistant.ingest import ingest
from assistant.settings import Settings


def _no_spaces(path: Path) -> None:
    path.write_text("Industriestrategie" * 150_000, encoding="utf-8")  # 2.7 MB, one "word"


def _huge_text(path: Path) -> None:
    paragraph = "Die Staatsregierung fördert Unternehmen in Sachsen mit neuen Programmen. " * 12
    path.write_text((paragraph + "\n\n") * 54_000, encoding="utf-8")  # about 49 MB


CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "Flate-Bombe (200 MB entpackt)": ("bombe.pdf", flate_bomb),
    "Seitenbaum mit 200.000 Seiten": ("seiten.pdf", page_tree(200_000, 200_000)),
    "Seitenbaum mit 3.000 Seiten": ("seiten3000.pdf", page_tree(3000, 3000)),
    "Seitenstrom, 60 MB entpackt": ("strom.pdf", huge_page_stream),
    "2,7 MB Text ohne Leerzeichen": ("ohne-leerzeichen.txt", _no_spaces),
    "49 MB Text": ("riesig.txt", _huge_text),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, help="ASSISTANT_MAX_FILE_SECONDS for the run")
    args = parser.parse_args()
    for label, (name, write) in CASES.items():
        with tempfile.TemporaryDirectory(prefix="bench-hostile-") as folder:
            corpus = Path(folder) / "corpus"
            corpus.mkdir()
            (corpus / "gut.txt").write_text(GOOD, encoding="utf-8")
            write(corpus / name)
            settings = Settings(
                index_dir=Path(folder) / "index",
                embedding_model="fake:hash-64",
                copy_into_corpus=False,  # nothing of the test lands in the repository's corpus/
            ).with_overrides(max_file_seconds=args.seconds)
            started = time.perf_counter()
            report = ingest([corpus], settings, embeddings=HashingEmbeddings(), quiet=True)
            elapsed = time.perf_counter() - started
            reason = dict(report.failed).get(name, "NICHT abgewiesen")
            size = (corpus / name).stat().st_size / 1e6
            print(f"{label:<32} {size:6.1f} MB  {elapsed:6.1f} s  indexiert: {report.added}")
            print(f"    {reason[:150]}")


if __name__ == "__main__":
    main()
