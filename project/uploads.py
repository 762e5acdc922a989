"""Shared rules for user uploads (verification documents, chat attachments).

A file's type is what its bytes say (sniffed with `filetype`), never the name or the
Content-Type the client sent; the display name keeps the client's stem (made safe) but
always ends in the extension of the sniffed type, so `invoice.html` holding a PDF is
stored and downloaded as `invoice.pdf` and `../../etc/passwd` becomes `passwd.pdf`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PureWindowsPath
from typing import IO

import filetype

MAX_NAME_LENGTH = 150
SNIFF_BYTES = 8192

# Image types a browser may render inline: raster formats that cannot carry script.
# (SVG is deliberately absent: it is XML with script.) Everything else is a download.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def sniff_mime(file: IO[bytes], nbytes: int = SNIFF_BYTES) -> str | None:
    """The MIME type the first bytes show, or None; the file position is kept at 0."""
    file.seek(0)
    head = file.read(nbytes)
    file.seek(0)
    kind = filetype.guess(head) if head else None
    return kind.mime if kind else None


def sanitise_filename(name: str, extension: str, *, default_stem: str = "document") -> str:
    """A display-safe file name: no path, no control or odd characters, right extension.

    Only used for display and the download's Content-Disposition; stored names are random.
    """
    # PureWindowsPath strips both "/" and "\" directory parts.
    base = PureWindowsPath(name or "").name
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    base = re.sub(r"[^\w.\- ()]+", "_", base)
    base = re.sub(r"\s+", " ", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" ._")[: MAX_NAME_LENGTH - len(extension) - 1] or default_stem
    # The extension follows the sniffed content, so "cv.html" holding a PDF downloads as .pdf.
    return f"{stem}.{extension}"


def serves_inline(content_type: str) -> bool:
    """Whether a stored upload of this (sniffed) type may be shown in the browser."""
    return content_type in INLINE_IMAGE_TYPES


# For every download of a user upload: never sniffed into HTML, never run as a page.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}
