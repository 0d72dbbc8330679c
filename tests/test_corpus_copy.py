"""Files ingested from outside corpus/ are copied into it (so links open), or reported."""

from __future__ import annotations

from pathlib import Path

from conftest import RunCli
from fakes import HashingEmbeddings

from assistant.ingest import ingest
from assistant.settings import Settings

TEXT = "Dresden, 7. März 2017\n\nMeldung zur Industrie\n\nDie Industrie in Sachsen wächst weiter."


def _outside(tmp_path: Path, name: str = "meldung.txt", text: str = TEXT) -> Path:
    folder = tmp_path / "anderswo"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_outside_file_is_copied_into_the_corpus(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    folder = _outside(tmp_path)
    report = ingest([folder], settings, embeddings=fake_embeddings, quiet=True)
    assert report.added == ["meldung.txt"]
    assert report.copied == [(str(folder / "meldung.txt"), "meldung.txt")]
    assert (settings.corpus_dir / "meldung.txt").read_text(encoding="utf-8") == TEXT
    again = ingest([folder], settings, embeddings=fake_embeddings, quiet=True)
    assert again.copied == [] and again.unchanged == ["meldung.txt"]


def test_a_different_file_of_the_same_name_is_not_overwritten(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    settings.corpus_dir.mkdir(parents=True)
    (settings.corpus_dir / "meldung.txt").write_text("Eine ganz andere Meldung.", encoding="utf-8")
    folder = _outside(tmp_path)
    report = ingest([folder], settings, embeddings=fake_embeddings, quiet=True)
    assert (settings.corpus_dir / "meldung.txt").read_text(
        encoding="utf-8"
    ) == "Eine ganz andere Meldung."
    [(_, stored)] = report.copied
    assert stored.startswith("meldung-") and stored.endswith(".txt")
    assert (settings.corpus_dir / stored).read_text(encoding="utf-8") == TEXT
    assert report.added == [stored]  # the document is known under the name its link opens


def test_files_inside_the_corpus_and_dry_runs_are_not_copied(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    dry = ingest([_outside(tmp_path)], settings, embeddings=fake_embeddings, dry_run=True)
    assert dry.copied and not settings.corpus_dir.exists()
    settings.corpus_dir.mkdir(parents=True)
    (settings.corpus_dir / "drin.txt").write_text(TEXT, encoding="utf-8")
    report = ingest([settings.corpus_dir], settings, embeddings=fake_embeddings, quiet=True)
    assert report.copied == [] and report.unlinked == []


def test_no_copy_reports_that_links_will_not_work(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    serving = settings.with_overrides(copy_into_corpus=False)
    report = ingest([_outside(tmp_path)], serving, embeddings=fake_embeddings, quiet=True)
    assert report.added == ["meldung.txt"] and report.copied == []
    [(source, reason)] = report.unlinked
    assert source == "meldung.txt" and "Quellenlink wird nicht funktionieren" in reason
    assert not settings.corpus_dir.exists()


def test_cli_reports_the_copy_and_the_missing_link(tmp_path: Path, run_cli: RunCli) -> None:
    folder = _outside(tmp_path)
    copied = run_cli("ingest", str(folder), "--index", str(tmp_path / "index"), "--dry-run")
    assert copied.returncode == 0, copied.stderr
    assert "In den Korpus kopiert: " in copied.stdout
    linked = run_cli(
        "ingest", str(folder), "--index", str(tmp_path / "i"), "--dry-run", "--no-copy"
    )
    assert "Quellenlink wird nicht funktionieren" in linked.stdout
