"""Start the web chat: ``python app.py`` (options as for ``assistant serve``)."""

from assistant.ui import main

if __name__ == "__main__":
    main()
