"""Checks an uploaded chat attachment by its bytes, not by the name or header the client sent.

Sniffing and naming are project/uploads.py's, shared with verification documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from project.api_errors import ServiceError
from project.uploads import sanitise_filename, sniff_mime

# Images are shown inline only if also in project.uploads.INLINE_IMAGE_TYPES.
IMAGE_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
FILE_TYPES = {"application/pdf": "pdf", **IMAGE_TYPES}


@dataclass(frozen=True)
class CheckedAttachment:
    file: UploadedFile
    kind: str  # "image" or "file"
    content_type: str
    extension: str
    name: str
    size: int


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
    mime = sniff_mime(upload)
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
        # The name always ends in the sniffed type's extension: "invoice.html" holding a PDF
        # is stored and served as "invoice.pdf", "../../etc/passwd" as "passwd.pdf".
        name=sanitise_filename(upload.name or "", extension, default_stem="attachment"),
        size=size,
    )
