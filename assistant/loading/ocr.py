"""Text recognition (OCR) of scanned PDF pages with the Tesseract command-line tool.

Used only when ``tesseract`` is installed with German data (Debian: ``tesseract-ocr``
``tesseract-ocr-deu``); the largest image of a page is handed to it as a grey PNG.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from typing import Any

log = logging.getLogger(__name__)
_PAGE_TIMEOUT_S = 120.0
_MIN_IMAGE_PIXELS = 200 * 200  # logos and icons are not scans


@functools.cache
def _languages() -> frozenset[str]:
    executable = shutil.which("tesseract")
    if executable is None:
        return frozenset()
    try:
        listed = subprocess.run(
            [executable, "--list-langs"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())


def ocr_available() -> bool:
    """True if Tesseract with German language data can be run."""
    return "deu" in _languages()


def _page_image(page: Any) -> Any | None:
    """The page's largest embedded image (a scan), as a PIL image, or None."""
    try:
        images = [image.image for image in page.images if image.image is not None]
    except (ValueError, KeyError, OSError, NotImplementedError) as error:
        log.info("Bilder der Seite nicht lesbar: %s", error)
        return None
    images = [image for image in images if image.width * image.height >= _MIN_IMAGE_PIXELS]
    return max(images, key=lambda image: image.width * image.height) if images else None


def recognise_page(page: Any) -> str | None:
    """The text Tesseract reads on the page's scan, or None without a scan or a result."""
    image = _page_image(page)
    if image is None:
        return None
    png = io.BytesIO()
    image.convert("L").save(png, format="PNG")
    languages = "deu+eng" if "eng" in _languages() else "deu"
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", languages, "--psm", "3"],
            input=png.getvalue(),
            capture_output=True,
            timeout=_PAGE_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("Texterkennung fehlgeschlagen: %s", error)
        return None
    text = done.stdout.decode("utf-8", errors="replace").strip()
    return text or None
