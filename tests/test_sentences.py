"""Sentence vectors in the index: stored at ingest, read by chunk row, old formats refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import HashingEmbeddings

from assistant.errors import IndexFormatError
from assistant.ingest import ingest
from assistant.settings import Settings
from assistant.store.index_store import IndexStore
from assistant.store.sentences import sentence_spans

TEXT = (
    "Die StrategieWerkstatt startete im Dezember 2015 in Dresden. Sie bündelt Wissen aus "
    "Wirtschaft und Wissenschaft.\n\nAm 7. März 2017 fand die erste Strategiekonferenz in "
    "Leipzig statt. Rund 350 Gäste kamen."
)


def _ingest(settings: Settings, fake_embeddings: HashingEmbeddings, tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir(exist_ok=True)
    (corpus / "2017-03-07_konferenz.txt").write_text(TEXT, encoding="utf-8")
    ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)


def test_spans_cut_the_chunk_text_into_its_sentences() -> None:
    spans = sentence_spans(TEXT)
    assert [TEXT[s:e] for s, e in spans] == [
        "Die StrategieWerkstatt startete im Dezember 2015 in Dresden.",
        "Sie bündelt Wissen aus Wirtschaft und Wissenschaft.",
        "Am 7. März 2017 fand die erste Strategiekonferenz in Leipzig statt.",
        "Rund 350 Gäste kamen.",
    ]


def test_every_quotable_sentence_gets_the_vector_of_its_text(
    settings: Settings, fake_embeddings: HashingEmbeddings, tmp_path: Path
) -> None:
    _ingest(settings, fake_embeddings, tmp_path)
    snapshot = IndexStore(settings.index_dir).open()
    try:
        stored = []
        for row in range(snapshot.size):
            chunk = snapshot.chunks([row])[row]
            spans, vectors = snapshot.sentences.of_row(row)
            for (start, end), vector in zip(spans, vectors, strict=True):
                expected = fake_embeddings.embed_passages([chunk.text[start:end]])[0]
                assert np.allclose(vector, expected, atol=1e-3)  # stored as float16
                stored.append(chunk.text[start:end])
        assert "Rund 350 Gäste kamen." in stored
    finally:
        snapshot.close()


def test_an_index_of_the_previous_format_asks_for_a_rebuild(
    settings: Settings, fake_embeddings: HashingEmbeddings, tmp_path: Path
) -> None:
    _ingest(settings, fake_embeddings, tmp_path)
    store = IndexStore(settings.index_dir)
    manifest_path = store.versions_dir / str(store.current_version()) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexFormatError, match="ingest --rebuild"):
        store.open()
