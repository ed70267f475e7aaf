"""HTML laid out as PDF by WeasyPrint, which may read nothing but the document itself.

WeasyPrint fetches every URL a document names (``<img src>``, ``url()`` in a style, a stylesheet
link) while it lays the page out, on the server. The exported documents hold no such URL of their
own (styles and charts are inline), and the texts they quote — périmètre names, labels, remarks —
are escaped by the templates. Should markup from data ever get through all the same, the fetcher
below refuses it: ``data:`` URLs, and files under the export templates' folder, nothing else (no
``http``, no ``file:///etc/…``), so a PDF export never calls an address a user typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

TEMPLATES = Path(__file__).resolve().parent / "templates"


def is_local(url: str, root: Path = TEMPLATES) -> bool:
    """Whether WeasyPrint may read *url*: inline ``data:``, or a file inside *root*."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return path.is_relative_to(root.resolve())


def local_fetcher(root: Path = TEMPLATES) -> Any:
    """A WeasyPrint URL fetcher that refuses (a ``ValueError``, which WeasyPrint turns into a
    warning and a missing image) every URL :func:`is_local` does not allow."""
    from weasyprint.urls import URLFetcher  # heavy: imported when a PDF is made

    class LocalOnly(URLFetcher):  # WeasyPrint is untyped: its classes are Any to mypy
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not is_local(url, root):
                raise ValueError(f"adresse extérieure refusée dans un export : {url[:80]}")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=("data", "file"), allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """Lay out *html* as a PDF (WeasyPrint: HTML and CSS paged media, fonts through Pango)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES), url_fetcher=local_fetcher()).write_pdf()
