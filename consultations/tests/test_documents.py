"""Verification document uploads (content sniffing, size cap, names) and authorised download."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from consultations.models import ExpertVerificationDocument
from consultations.services.verification import documents
from consultations.tests.verification_helpers import (
    EXE_BYTES,
    GIF_BYTES,
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    ZIP_BYTES,
    make_application,
    upload,
)

# Uploads land in a per-test folder (consultations/tests/conftest.py).
pytestmark = pytest.mark.usefixtures("private_media")

UPLOAD = reverse("expert-upload-document")


def file_url(pk: int) -> str:
    return reverse("expert-document-file", args=[pk])


@pytest.fixture
def applicant(user):
    make_application(user)
    return user


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post(client, name: str, content: bytes, document_type: str = "certificate", **extra):
    return client.post(
        UPLOAD, {"file": upload(name, content, **extra), "document_type": document_type}
    )


@pytest.mark.parametrize(
    ("name", "content", "mime", "stored_ext"),
    [
        ("diploma.pdf", PDF_BYTES, "application/pdf", ".pdf"),
        ("scan.png", PNG_BYTES, "image/png", ".png"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg", ".jpg"),
    ],
)
def test_allowed_types_are_stored_under_a_random_name(
    applicant, client_for, name, content, mime, stored_ext
):
    resp = post(client_for(applicant), name, content)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["content_type"] == mime
    assert body["size"] == len(content)
    assert body["status"] == "pending"
    assert body["download_url"] == file_url(body["id"])
    assert "file" not in body  # no storage path or media URL leaks out
    doc = ExpertVerificationDocument.objects.get(pk=body["id"])
    stored = Path(doc.file.name)
    assert stored.parent.name == "verification"
    assert stored.suffix == stored_ext
    assert Path(name).stem not in stored.name
    assert len(stored.stem) == 32  # uuid4 hex
    assert Path(doc.file.path).read_bytes() == content


def test_content_decides_not_the_extension(applicant, client_for):
    # A real PDF named .png is accepted as a PDF and offered for download as .pdf.
    resp = post(client_for(applicant), "scan.png", PDF_BYTES, content_type="image/png")
    assert resp.status_code == 201
    assert resp.json()["content_type"] == "application/pdf"
    assert resp.json()["original_name"] == "scan.pdf"


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("cv.pdf", HTML_BYTES, "application/pdf"),
        ("cv.pdf", EXE_BYTES, "application/pdf"),
        ("image.png", GIF_BYTES, "image/png"),
        ("bundle.pdf", ZIP_BYTES, "application/pdf"),
        ("notes.pdf", b"just some text, honestly a pdf", "application/pdf"),
    ],
)
def test_disallowed_content_is_refused_whatever_the_name(
    applicant, client_for, name, content, declared
):
    resp = post(client_for(applicant), name, content, content_type=declared)
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"]["code"] == "unsupported_file_type"
    assert "file" in body["error"]["fields"]
    assert not ExpertVerificationDocument.objects.exists()
    assert stored_files() == []


def test_size_cap_comes_from_the_setting(applicant, client_for, settings):
    settings.VERIFICATION_UPLOAD_MAX_BYTES = 1024
    big = PDF_BYTES + b"0" * 1024
    resp = post(client_for(applicant), "big.pdf", big)
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"]["code"] == "file_too_large"
    assert "1 KB" in body["error"]["message"]
    assert body["max_bytes"] == 1024
    assert not ExpertVerificationDocument.objects.exists()
    assert stored_files() == []
    # Exactly at the cap is fine.
    exact = PDF_BYTES + b"0" * (1024 - len(PDF_BYTES))
    assert post(client_for(applicant), "ok.pdf", exact).status_code == 201


def test_oversized_body_is_refused_before_parsing(applicant, client_for, settings, monkeypatch):
    settings.VERIFICATION_UPLOAD_MAX_BYTES = 1024
    parsed = []
    monkeypatch.setattr(
        "consultations.views.verification.DocumentUploadSerializer.is_valid",
        lambda self, **kw: parsed.append(1),
    )
    resp = post(client_for(applicant), "huge.pdf", PDF_BYTES + b"0" * 200_000)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "file_too_large"
    assert parsed == []


def test_default_cap_is_ten_megabytes():
    assert django_settings.VERIFICATION_UPLOAD_MAX_BYTES == 10 * 1024 * 1024


def test_empty_file_is_refused(applicant, client_for):
    resp = post(client_for(applicant), "empty.pdf", b"")
    assert resp.status_code == 400
    assert "file" in resp.json()["error"]["fields"]


def test_missing_file_and_bad_type_name_the_field(applicant, client_for):
    client = client_for(applicant)
    resp = client.post(UPLOAD, {"document_type": "certificate"})
    assert resp.status_code == 400 and "file" in resp.json()["error"]["fields"]
    resp = post(client, "cv.pdf", PDF_BYTES, document_type="selfie")
    assert resp.status_code == 400 and "document_type" in resp.json()["error"]["fields"]
    assert not ExpertVerificationDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\My CV.pdf", "My CV.pdf"),
        ("inv\x00oice\r\n.pdf", "invoice.pdf"),
        ("<script>alert(1)</script>.pdf", "script.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img src_x onerror_alert(1).pdf"),
        ("résumé 2024.pdf", "résumé 2024.pdf"),
        (".pdf", "document.pdf"),
        ("a" * 400 + ".pdf", "a" * 146 + ".pdf"),
        ("cv.exe", "cv.pdf"),
    ],
)
def test_original_names_are_sanitised(applicant, client_for, name, expected):
    resp = post(client_for(applicant), name, PDF_BYTES)
    assert resp.status_code == 201, resp.content
    assert resp.json()["original_name"] == expected


def test_upload_needs_an_open_application(user, client_for):
    resp = post(client_for(user), "cv.pdf", PDF_BYTES)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "no_open_application"
    make_application(user, status="approved")
    assert post(client_for(user), "cv.pdf", PDF_BYTES).status_code == 400
    assert stored_files() == []


def test_upload_is_allowed_while_changes_are_requested(user, client_for):
    make_application(user, status="changes_requested")
    assert post(client_for(user), "cv.pdf", PDF_BYTES).status_code == 201


def test_document_count_is_capped(applicant, client_for, monkeypatch):
    monkeypatch.setattr(documents, "MAX_DOCUMENTS_PER_APPLICATION", 2)
    client = client_for(applicant)
    assert post(client, "a.pdf", PDF_BYTES).status_code == 201
    assert post(client, "b.pdf", PDF_BYTES).status_code == 201
    resp = post(client, "c.pdf", PDF_BYTES)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "too_many_documents"


def test_anonymous_cannot_upload(db, api_client):
    resp = api_client.post(UPLOAD, {"file": upload("cv.pdf", PDF_BYTES), "document_type": "id"})
    assert resp.status_code in (401, 403)
    assert stored_files() == []


def test_uploaded_document_appears_in_my_application(applicant, client_for):
    client = client_for(applicant)
    doc_id = post(client, "cv.pdf", PDF_BYTES).json()["id"]
    docs = client.get(reverse("expert-my-application")).json()["documents"]
    assert [d["id"] for d in docs] == [doc_id]


# --------------------------------------------------------------------------- download


@pytest.fixture
def document(applicant, client_for):
    resp = post(client_for(applicant), "My Diploma.pdf", PDF_BYTES)
    return ExpertVerificationDocument.objects.get(pk=resp.json()["id"])


def read(resp) -> bytes:
    return b"".join(resp.streaming_content)


def test_applicant_downloads_own_document_as_a_safe_attachment(document, applicant, client_for):
    resp = client_for(applicant).get(file_url(document.pk))
    assert resp.status_code == 200
    assert read(resp) == PDF_BYTES
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("attachment;")
    assert 'filename="My Diploma.pdf"' in resp["Content-Disposition"]
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp["Cache-Control"]
    assert "sandbox" in resp["Content-Security-Policy"]


def test_staff_downloads_any_document(document, staff_user, client_for):
    resp = client_for(staff_user).get(file_url(document.pk))
    assert resp.status_code == 200
    assert read(resp) == PDF_BYTES


def test_staff_session_login_works_for_the_admin_link(document, staff_user, client):
    client.force_login(staff_user)
    resp = client.get(file_url(document.pk))
    assert resp.status_code == 200


def test_other_users_get_404_and_anonymous_is_refused(document, other_user, client_for, api_client):
    resp = client_for(other_user).get(file_url(document.pk))
    assert resp.status_code == 404
    assert api_client.get(file_url(document.pk)).status_code in (401, 403)
    assert client_for(other_user).get(file_url(999999)).status_code == 404


def test_file_is_not_reachable_through_a_media_url(document, client):
    media_path = django_settings.MEDIA_URL + document.file.name
    resp = client.get(media_path)
    body = resp.content if not resp.streaming else read(resp)
    assert PDF_BYTES not in body


def test_missing_file_on_disk_is_a_404_not_a_500(document, applicant, client_for):
    Path(document.file.path).unlink()
    resp = client_for(applicant).get(file_url(document.pk))
    assert resp.status_code == 404
