"""argparse in German: its own texts (usage, help, errors) through its gettext hook.

argparse looks every message up with ``gettext`` when it formats help or an error; while one
of our parsers works, that lookup answers from :data:`GERMAN`. Exit code 2 for wrong usage is
argparse's, and the same as for other unusable input (see README, exit codes).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

GERMAN = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "show this help message and exit": "diese Hilfe zeigen und beenden",
    "show program's version number and exit": "Versionsnummer zeigen und beenden",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "Argument %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "ungültige Auswahl: %(value)r (möglich sind %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "ungültiger Wert %(value)r, erwartet: %(type)s",
    "the following arguments are required: %s": "diese Angaben fehlen: %s",
    "unrecognized arguments: %s": "unbekannte Argumente: %s",
    "expected one argument": "erwartet einen Wert",
    "expected at most one argument": "erwartet höchstens einen Wert",
    "expected at least one argument": "erwartet mindestens einen Wert",
    "expected %s argument": "erwartet %s Wert",
    "expected %s arguments": "erwartet %s Werte",
    "ambiguous option: %(option)s could match %(matches)s": (
        "mehrdeutige Option: %(option)s passt zu %(matches)s"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "unbekannter Befehl %(parser_name)r (möglich sind %(choices)s)"
    ),
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
    "ignored explicit argument %r": "unerwarteter Wert %r",
    "one of the arguments %s is required": "eine dieser Angaben ist nötig: %s",
    "can't open '%(filename)s': %(error)s": "„%(filename)s“ lässt sich nicht öffnen: %(error)s",
}


def _gettext(message: str) -> str:
    return GERMAN.get(message, message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _gettext(singular if count == 1 else plural)


@contextlib.contextmanager
def german() -> Iterator[None]:
    """argparse's message lookup answers in German inside this block."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _gettext, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class GermanArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` (and, through ``parser_class``, its subcommands) speaking German."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with german():
            super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with german():
            return super().parse_known_args(args, namespace)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        with german():
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with german():
            return super().format_usage()

    def format_help(self) -> str:
        with german():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        with german():
            super().error(message)


def _named(kind: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """``kind`` under a German name, which argparse shows in "ungültiger Wert …, erwartet: …"."""

    def convert(text: str) -> Any:
        return kind(text)

    convert.__name__ = name
    return convert


whole_number = _named(int, "ganze Zahl")
decimal_number = _named(lambda text: float(text.replace(",", ".")), "Zahl")
