"""Very long paragraphs are cut safely before sentence splitting (pysbd is superlinear)."""

from __future__ import annotations

from pathlib import Path

from assistant.analysis import MAX_WORD_CHARS, Analyzer, Vocabulary
from assistant.chunking import bounded_pieces, chunk_document, split_sentences
from assistant.loading import load_document

SENTENCE = "Die Industrie in Sachsen wächst, sagte der Minister am 7. März 2017 in Leipzig. "


def test_pieces_end_at_sentence_ends_then_spaces_then_the_limit() -> None:
    text = SENTENCE * 100
    pieces = list(bounded_pieces(text, 500))
    assert "".join(pieces) == text
    assert all(len(piece) <= 500 for piece in pieces)
    assert all(piece.endswith("Leipzig. ") for piece in pieces[:-1])
    words = " ".join(["Wertschöpfung"] * 200)
    assert all(p.endswith(" ") for p in list(bounded_pieces(words, 300))[:-1])
    assert [len(p) for p in bounded_pieces("x" * 1000, 300)] == [300, 300, 300, 100]


def test_long_paragraph_keeps_every_sentence() -> None:
    paragraph = " ".join(f"Satz Nummer {n} nennt die Förderung der Industrie." for n in range(2000))
    sentences = split_sentences(paragraph)
    assert len(sentences) == 2000
    assert sentences[1234] == "Satz Nummer 1234 nennt die Förderung der Industrie."


def test_single_line_file_without_spaces_is_chunked_to_size(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(("Wertschöpfung" * 20_000) + " " + SENTENCE * 2000, encoding="utf-8")
    document = load_document(path, path.name, 10**8)
    chunks = chunk_document(document, 900, 200)
    assert all(len(chunk.text) <= 900 + 200 + 1 for chunk in chunks)  # size plus the overlap
    assert sum("Leipzig." in chunk.text for chunk in chunks) > 100


def test_lexical_analysis_skips_overlong_tokens() -> None:
    vocabulary = Vocabulary.from_texts(["Industriestrategie Wertschöpfung Industrie Strategie"])
    assert vocabulary.split_compound("industriestrategie") == ["industri", "strategi"]
    long_token = "industriestrategie" * (MAX_WORD_CHARS // 10)
    assert vocabulary.split_compound(long_token) == []
    assert vocabulary.correct(long_token) is None
    assert Analyzer(vocabulary).terms("x" * 2_000_000)  # one stem, no quadratic splitting
