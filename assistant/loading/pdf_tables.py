"""Tables on a PDF page, found from the positions of its text runs, rewritten as readable rows.

pypdf puts every table cell on a line of its own, so a row like "Auslandsmesse | Pauschale |
5.000 Euro" reaches the text as three unrelated lines. Runs that share a baseline but stand
apart horizontally are cells; two or more such rows with the same columns are a table; a line
whose runs all start at column positions continues the row above (a wrapped cell). A first
row set in bold is the header. The table's lines in pypdf's text are replaced by one sentence
per row ("Fördergegenstand: Auslandsmesse – Art der Förderung: Pauschale – Höhe: 5.000 Euro.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.residue import table_sentences

# Run widths are unknown: a run ends no earlier than 0.35 font sizes per character (narrow
# glyphs), so any later start may be a new cell; only columns aligned over several rows make a
# table, which inline bold or italic words in running text never do.
_CHAR_WIDTH = 0.35
_CELL_GAP = 0.0
_COLUMN_TOLERANCE = 3.0  # points between the starts of cells of one column
_MIN_ROWS = 2
_SIZE_SPREAD = 0.5  # points: all cells of a table share one type size (markers aside)
_MARKER_RATIO = 0.85
_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}")
_NEW_ROW_LEADING = 1.5  # a gap above a line wider than this many font sizes starts a new row


@dataclass
class Run:
    text: str
    x: float
    y: float
    size: float
    bold: bool


@dataclass
class _Line:
    runs: list[tuple[int, Run]]  # (index in extraction order, run), left to right
    cells: list[list[Run]] = field(default_factory=list)

    @property
    def y(self) -> float:
        return self.runs[0][1].y

    @property
    def size(self) -> float:
        return max(run.size for _, run in self.runs)


def _lines(runs: list[Run]) -> list[_Line]:
    """Visual lines, top to bottom: runs on one baseline, whatever order pypdf read them in."""
    lines: list[_Line] = []
    for index, run in sorted(
        ((i, r) for i, r in enumerate(runs) if r.text.strip()), key=lambda item: -item[1].y
    ):
        if lines and abs(lines[-1].y - run.y) <= 0.5 * max(run.size, 1.0):
            lines[-1].runs.append((index, run))
        else:
            lines.append(_Line([(index, run)]))
    for line in lines:
        line.runs.sort(key=lambda item: item[1].x)
        for _, run in line.runs:
            previous = line.cells[-1][-1] if line.cells else None
            if previous is None or run.x - _end(previous) > _CELL_GAP * run.size:
                line.cells.append([run])
            else:
                line.cells[-1].append(run)
    return lines


def _end(run: Run) -> float:
    return run.x + len(run.text.strip()) * run.size * _CHAR_WIDTH


def _starts(line: _Line) -> list[float]:
    return [cell[0].x for cell in line.cells]


def _aligned(starts: list[float], columns: list[float]) -> list[int] | None:
    """The column index of each start, or None if one matches no column."""
    found = []
    for start in starts:
        matches = [
            i for i, column in enumerate(columns) if abs(start - column) <= _COLUMN_TOLERANCE
        ]
        if not matches:
            return None
        found.append(matches[0])
    return found


def _is_marker(run: Run, line: _Line) -> bool:
    """A footnote marker: digits set smaller than the line."""
    return run.text.strip().isdigit() and run.size < _MARKER_RATIO * line.size


def _cell_text(cell: list[Run]) -> str:
    size = max(run.size for run in cell)
    words = [
        run.text.strip()
        for run in cell
        if not (run.text.strip().isdigit() and run.size < _MARKER_RATIO * size)
    ]
    return " ".join(" ".join(words).split())


def _append(row: list[str], column: int, text: str) -> None:
    joined = row[column]
    if joined.endswith("-") and text[:1].islower():
        row[column] = joined[:-1] + text  # "Bewerbun-" + "gen"
    else:
        row[column] = f"{joined} {text}".strip()


@dataclass
class _Table:
    lines: list[_Line]
    rows: list[list[str]]
    header_bold: bool

    @property
    def run_indices(self) -> list[int]:
        return sorted(index for line in self.lines for index, _ in line.runs)


def _tables(lines: list[_Line]) -> list[_Table]:
    """Runs of lines whose cells start at the columns of a first line with two or more cells;
    a line within one line spacing of the one above continues its row (wrapped cells)."""
    tables: list[_Table] = []
    index = 0
    while index < len(lines):
        first = lines[index]
        columns = _starts(first)
        if len(columns) < 2:
            index += 1
            continue
        rows = [[_cell_text(cell) for cell in first.cells]]
        taken = [first]
        for line in lines[index + 1 :]:
            positions = _aligned(_starts(line), columns)
            if positions is None:
                break
            if taken[-1].y - line.y > _NEW_ROW_LEADING * line.size:
                rows.append([""] * len(columns))
            for position, cell in zip(positions, line.cells, strict=True):
                _append(rows[-1], position, _cell_text(cell))
            taken.append(line)
        bold_header = all(cell[0].bold for cell in first.cells)
        sizes = [run.size for line in taken for _, run in line.runs if not _is_marker(run, line)]
        if (
            len(rows) >= _MIN_ROWS
            and max(sizes) - min(sizes) <= _SIZE_SPREAD  # a letterhead beside a title is no table
            and (len(columns) >= 3 or bold_header)  # two plain columns may be a page layout
            and not any(_LEADER.search(cell) for row in rows for cell in row)  # a contents page
        ):
            tables.append(_Table(taken, rows, bold_header))
            index += len(taken)
        else:
            index += 1
    return tables


def _squashed(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace, and the position in ``text`` of each remaining character."""
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def rewrite_tables(text: str, runs: list[Run]) -> str:
    """``text`` (pypdf's page text) with every table replaced by one sentence per row; a table
    whose runs are not read in one stretch, or not found in the text, is left as it is."""
    for table in reversed(_tables(_lines(runs))):
        indices = table.run_indices
        if indices != list(range(indices[0], indices[-1] + 1)):
            continue  # other text is read in between: the table's span is unclear
        squashed, positions = _squashed(text)
        cells = "".join(re.sub(r"\s+", "", runs[i].text) for i in indices)
        found = squashed.rfind(cells)
        if not cells or found < 0:
            continue
        start, end = positions[found], positions[found + len(cells) - 1] + 1
        header = table.rows[0] if table.header_bold else None
        body = table.rows[1:] if header else table.rows
        sentences = "\n\n".join(table_sentences(header, body))
        text = f"{text[:start]}\n\n{sentences}\n\n{text[end:]}"
    return text
