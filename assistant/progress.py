"""Progress of long steps: a bar on a terminal, a plain log line per step otherwise.

Redirected output (a log file, CI) gets no carriage-return frames; the lines go to the
``assistant.progress`` logger, which the CLI shows unless ``--quiet`` is given.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from tqdm import tqdm

log = logging.getLogger("assistant.progress")
Item = TypeVar("Item")


def on_terminal() -> bool:
    return sys.stderr.isatty()


def each(
    items: Sequence[Item], step: str, unit: str, name: Callable[[Item], str], quiet: bool
) -> Iterator[Item]:
    """``items`` one by one, showing ``step`` ("Lesen") and each item's ``name``."""
    if quiet or not items:
        yield from items
    elif on_terminal():
        yield from tqdm(items, desc=step, unit=f" {unit}")
    else:
        for number, item in enumerate(items, start=1):
            log.info("%s %d/%d: %s", step, number, len(items), name(item))
            yield item


class Counter:
    """Progress over ``total`` units done in batches: ``with Counter(…) as c: c.advance(n)``."""

    def __init__(self, total: int, step: str, unit: str, quiet: bool) -> None:
        self.total, self.step, self.unit, self.done = total, step, unit, 0
        self._quiet = quiet or total == 0
        self._bar = (
            tqdm(total=total, desc=step, unit=f" {unit}")
            if not self._quiet and on_terminal()
            else None
        )

    def advance(self, count: int) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        elif not self._quiet:
            log.info("%s: %d/%d %s", self.step, self.done, self.total, self.unit)

    def __enter__(self) -> Counter:
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.close()
