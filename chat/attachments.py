"""Checks an uploaded chat attachment by its bytes, not by the name or header the client sent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from project.api_errors import ServiceError

IMAGE_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
FILE_TYPES = {"application/pdf": "pdf", **IMAGE_TYPES}
SNIFF_BYTES = 262  # filetype never needs more than this


@dataclass(frozen=True)
class CheckedAttachment:
    file: UploadedFile
    kind: str  # "image" or "file"
    content_type: str
    extension: str
    name: str
    size: int


def clean_display_name(raw: str | None, extension: str) -> str:
    # Keep only the last path component: browsers may send full client paths.
    name = PurePosixPath((raw or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    if not name:
        name = f"attachment.{extension}"
    return name[-255:]


def check_attachment(upload: UploadedFile) -> CheckedAttachment:
    size = upload.size or 0
    if size <= 0:
        raise ServiceError("The file is empty.", field="attachment", code="attachment_empty")
    limit = settings.CHAT_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ServiceError(
            f"The file is larger than {limit} bytes.",
            field="attachment",
            code="attachment_too_large",
            extra={"max_bytes": limit},
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    guessed = filetype.guess(head)
    mime = guessed.mime if guessed else None
    if mime not in FILE_TYPES:
        raise ServiceError(
            "Only PNG, JPEG, GIF, WebP images and PDF files can be sent.",
            field="attachment",
            code="attachment_type_not_allowed",
            extra={"allowed_types": sorted(FILE_TYPES)},
        )
    extension = FILE_TYPES[mime]
    return CheckedAttachment(
        file=upload,
        kind="image" if mime in IMAGE_TYPES else "file",
        content_type=mime,
        extension=extension,
        name=clean_display_name(upload.name, extension),
        size=size,
    )
