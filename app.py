"""Start the web chat: ``python app.py`` (options as for ``assistant serve``)."""

import sys

from assistant.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
