"""chat/attachments.py: type by content sniffing, size limit, safe display name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.attachments import check_attachment
from chat.tests.conftest import PDF_BYTES, PNG_BYTES
from project.api_errors import ServiceError


def test_png_is_an_image_whatever_the_client_claims():
    upload = SimpleUploadedFile("photo.pdf", PNG_BYTES, content_type="application/pdf")
    checked = check_attachment(upload)
    assert (checked.kind, checked.content_type, checked.extension) == ("image", "image/png", "png")
    assert checked.size == len(PNG_BYTES)


def test_pdf_is_a_file():
    checked = check_attachment(SimpleUploadedFile("cv.pdf", PDF_BYTES))
    assert (checked.kind, checked.content_type) == ("file", "application/pdf")
    assert checked.name == "cv.pdf"


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(1)</script></html>", b"MZ\x90\x00" + b"\x00" * 100, b"plain text"],
)
def test_other_content_is_refused_even_named_as_image(content):
    with pytest.raises(ServiceError) as exc:
        check_attachment(SimpleUploadedFile("cat.png", content, content_type="image/png"))
    assert exc.value.code == "attachment_type_not_allowed"
    assert exc.value.field == "attachment"


def test_too_large_and_empty_files_are_refused(settings):
    settings.CHAT_ATTACHMENT_MAX_BYTES = len(PNG_BYTES) - 1
    with pytest.raises(ServiceError) as exc:
        check_attachment(SimpleUploadedFile("a.png", PNG_BYTES))
    assert exc.value.code == "attachment_too_large"
    with pytest.raises(ServiceError) as exc:
        check_attachment(SimpleUploadedFile("a.png", b""))
    assert exc.value.code == "attachment_empty"


@pytest.mark.parametrize(
    ("sent_name", "content", "stored_name"),
    [
        ("invoice.html", PDF_BYTES, "invoice.pdf"),
        ("poly.html", PNG_BYTES, "poly.png"),
        ("../../etc/passwd", PDF_BYTES, "passwd.pdf"),
        ('C:\\Users\\me\\re"port.pdf', PDF_BYTES, "re_port.pdf"),
        ("photo.pdf", PNG_BYTES, "photo.png"),
        ("a\x00b\u202e.exe", PDF_BYTES, "ab.pdf"),
    ],
)
def test_name_always_carries_the_sniffed_extension_and_no_path(sent_name, content, stored_name):
    assert check_attachment(SimpleUploadedFile(sent_name, content)).name == stored_name
