"""chat/attachments.py: type by content sniffing, size limit, safe display name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.attachments import check_attachment, clean_display_name
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


def test_display_name_drops_paths_and_quotes():
    assert clean_display_name('C:\\Users\\me\\re"port.pdf', "pdf") == "report.pdf"
    assert clean_display_name("../../etc/passwd", "pdf") == "passwd"
    assert clean_display_name("", "png") == "attachment.png"
