"""CLI commands that answer questions: ``ask``, ``eval`` and ``serve``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from assistant.settings import Settings


def add_answer_commands(commands: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the answering subcommands (filled in by the answer and chat issues)."""


ANSWER_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {}
