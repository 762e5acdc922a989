"""Verification documents: size limits, content sniffing, safe names, the upload.

Sniffing and safe names are project/uploads.py's, shared with chat attachments.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from consultations.models import (
    ExpertApplication,
    ExpertVerificationDocument,
)
from project.api_errors import ServiceError
from project.uploads import MAX_NAME_LENGTH, sniff_mime
from project.uploads import sanitise_filename as sanitise_filename  # re-exported

# Sniffed MIME type -> extension used for the stored file and the download name.
ALLOWED_DOCUMENT_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
}
MAX_DOCUMENTS_PER_APPLICATION = 20
MAX_ORIGINAL_NAME_LENGTH = MAX_NAME_LENGTH
# Room for the multipart boundaries and the other form fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _too_large(max_bytes: int) -> ServiceError:
    return ServiceError(
        f"The file is larger than the {_human_size(max_bytes)} limit.",
        field="file",
        code="file_too_large",
        extra={"max_bytes": max_bytes},
    )


def refuse_oversized_body(content_length: str | int | None) -> None:
    """Refuse before parsing, so a huge upload is not spooled to disk just to be rejected."""
    max_bytes = settings.VERIFICATION_UPLOAD_MAX_BYTES
    try:
        length = int(content_length or 0)
    except (TypeError, ValueError):
        return
    if length > max_bytes + MULTIPART_OVERHEAD_BYTES:
        raise _too_large(max_bytes)


def sniff_document(file: UploadedFile) -> str:
    """The real MIME type from the file's first bytes; refuses anything not allowed."""
    mime = sniff_mime(file)
    if mime is None or mime not in ALLOWED_DOCUMENT_TYPES:
        raise ServiceError(
            "Only PDF, PNG and JPEG documents are accepted (checked by content, not name).",
            field="file",
            code="unsupported_file_type",
        )
    return mime


def upload_verification_document(
    *, user: User, file: UploadedFile, document_type: str
) -> ExpertVerificationDocument:
    if document_type not in ExpertVerificationDocument.DocumentType.values:
        raise ServiceError(f"'{document_type}' is not a document type.", field="document_type")
    max_bytes = settings.VERIFICATION_UPLOAD_MAX_BYTES
    if file.size is None or file.size == 0:
        raise ServiceError("The file is empty.", field="file", code="empty_file")
    if file.size > max_bytes:
        raise _too_large(max_bytes)
    mime = sniff_document(file)
    extension = ALLOWED_DOCUMENT_TYPES[mime]

    with transaction.atomic():
        application = (
            ExpertApplication.objects.select_for_update()
            .filter(applicant=user, status__in=ExpertApplication.OPEN_STATUSES)
            .first()
        )
        if application is None:
            raise ServiceError(
                "Apply as an expert first; documents belong to an open application.",
                code="no_open_application",
                field="non_field_errors",
            )
        if application.documents.count() >= MAX_DOCUMENTS_PER_APPLICATION:
            raise ServiceError(
                f"An application can hold at most {MAX_DOCUMENTS_PER_APPLICATION} documents.",
                field="file",
                code="too_many_documents",
            )
        document = ExpertVerificationDocument(
            application=application,
            document_type=document_type,
            original_name=sanitise_filename(file.name or "", extension),
            content_type=mime,
            size=file.size,
        )
        # upload_to picks a random stored name; only the extension comes from us.
        document.file.save(f"upload.{extension}", file, save=False)
        try:
            document.save()
        except Exception:
            document.file.delete(save=False)
            raise
    return document
