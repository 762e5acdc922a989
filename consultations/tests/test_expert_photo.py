"""Expert photos: upload checked by content, re-encoded, served safely, replaced, removed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from consultations.models import Expert
from consultations.services import expert_photo
from consultations.tests.factories import (
    add_weekly_hours,
    make_consultation,
    make_expert,
    make_user,
)

PHOTO = reverse("expert-me-photo")
ME = reverse("expert-me")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), **save: object) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    # A distinctive top band, to check which way the image ends up.
    for x in range(size[0]):
        for y in range(size[1] // 10):
            image.putpixel((x, y), (0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010E] = "12 Secret Street"  # ImageDescription
    return image_bytes("JPEG", (800, 600), exif=exif.tobytes())


def upload(data: bytes, name: str = "me.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def expert() -> Expert:
    return add_weekly_hours(make_expert(user=make_user(), name="Pia Photo"))


def stored_files(media: Path) -> list[str]:
    folder = media / expert_photo.FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_upload_reencodes_to_square_webp_at_two_sizes(client_for, expert, private_media, fmt):
    response = client_for(expert.user).post(
        PHOTO, {"photo": upload(image_bytes(fmt), name=f"x.{fmt.lower()}")}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    expert.refresh_from_db()
    assert len(expert.photo_key) == 22
    assert body["has_photo"] is True
    assert body["avatar_url"] == reverse("expert-photo", args=[f"{expert.photo_key}-512.webp"])
    assert body["avatar_thumb_url"].endswith("-128.webp")
    assert stored_files(private_media) == sorted(
        [f"{expert.photo_key}-128.webp", f"{expert.photo_key}-512.webp"]
    )
    for side in (512, 128):
        with Image.open(
            private_media / expert_photo.FOLDER / f"{expert.photo_key}-{side}.webp"
        ) as im:
            assert (im.format, im.size) == ("WEBP", (side, side))


def test_exif_is_stripped_and_orientation_applied(client_for, expert, private_media):
    response = client_for(expert.user).post(
        PHOTO, {"photo": upload(jpeg_with_exif())}, format="multipart"
    )
    assert response.status_code == 200
    expert.refresh_from_db()
    path = private_media / expert_photo.FOLDER / f"{expert.photo_key}-512.webp"
    raw = path.read_bytes()
    assert b"SecretCam" not in raw and b"Secret Street" not in raw and b"Exif" not in raw
    with Image.open(path) as im:
        assert not im.getexif()
        # Orientation 6 turns the blue top band into the right-hand edge.
        r, _g, b = im.convert("RGB").getpixel((505, 256))
        assert b > 200 and r < 60
        r, _g, b = im.convert("RGB").getpixel((256, 5))
        assert r > 150 and b < 80


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.png"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "a.jpg"),
        (b"GIF89a" + b"\x00" * 100, "a.gif"),
        # A PNG signature with garbage after it: sniffed as PNG, but Pillow cannot read it.
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "broken.png"),
    ],
)
def test_refuses_what_is_not_a_png_jpeg_or_webp(client_for, expert, private_media, data, name):
    response = client_for(expert.user).post(
        PHOTO, {"photo": upload(data, name=name, content_type="image/png")}, format="multipart"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "photo_type_not_allowed"
    assert "photo" in error["fields"]
    assert stored_files(private_media) == []
    assert Expert.objects.get(pk=expert.pk).photo_key == ""


def test_refuses_too_large_files_and_pixel_bombs(client_for, expert, settings, monkeypatch):
    settings.EXPERT_PHOTO_MAX_BYTES = 1000
    response = client_for(expert.user).post(
        PHOTO, {"photo": upload(image_bytes("PNG"))}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "photo_too_large"

    settings.EXPERT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    monkeypatch.setattr(expert_photo, "MAX_PIXELS", 1000)
    response = client_for(expert.user).post(
        PHOTO, {"photo": upload(image_bytes("PNG"))}, format="multipart"
    )
    assert response.status_code == 400
    assert "pixels" in response.json()["error"]["message"]


def test_refuses_tiny_and_empty(client_for, expert):
    tiny = client_for(expert.user).post(
        PHOTO, {"photo": upload(image_bytes("PNG", (20, 20)))}, format="multipart"
    )
    assert tiny.json()["error"]["code"] == "photo_too_small"
    empty = client_for(expert.user).post(PHOTO, {"photo": upload(b"")}, format="multipart")
    assert empty.status_code == 400
    assert "photo" in empty.json()["error"]["fields"]


def test_replace_deletes_old_files_and_remove_clears(
    client_for, expert, private_media, django_capture_on_commit_callbacks
):
    client = client_for(expert.user)
    client.post(PHOTO, {"photo": upload(image_bytes())}, format="multipart")
    first = Expert.objects.get(pk=expert.pk).photo_key
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PHOTO, {"photo": upload(image_bytes("PNG"))}, format="multipart")
    second = Expert.objects.get(pk=expert.pk).photo_key
    assert second != first
    assert stored_files(private_media) == sorted([f"{second}-128.webp", f"{second}-512.webp"])
    # The old URL is gone for good (it was cached as immutable under its own name).
    old = client.get(reverse("expert-photo", args=[f"{first}-512.webp"]))
    assert old.status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(PHOTO)
    assert removed.status_code == 200
    assert removed.json()["avatar_url"] is None
    assert removed.json()["has_photo"] is False
    assert stored_files(private_media) == []


def test_served_publicly_with_safe_headers(client_for, api_client, expert):
    client_for(expert.user).post(PHOTO, {"photo": upload(image_bytes())}, format="multipart")
    expert.refresh_from_db()
    response = api_client.get(reverse("expert-photo", args=[f"{expert.photo_key}-128.webp"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"


@pytest.mark.parametrize(
    "name", ["../../settings.py", "abc.webp", "x" * 22 + "-64.webp", "x" * 22 + "-512.png"]
)
def test_serving_refuses_other_names(api_client, name):
    response = api_client.get(f"/api/v1/consultations/experts/photos/{name}")
    assert response.status_code == 404
    assert response.json()["error"]["code"]


def test_only_experts_may_upload(client_for, api_client):
    assert api_client.post(PHOTO, {}, format="multipart").status_code in (401, 403)
    nobody = client_for(make_user())
    response = nobody.post(PHOTO, {"photo": upload(image_bytes())}, format="multipart")
    assert response.status_code == 404


def test_photo_shows_in_list_profile_and_bookings(client_for, api_client, expert, client_user):
    client_for(expert.user).post(PHOTO, {"photo": upload(image_bytes())}, format="multipart")
    expert.refresh_from_db()
    thumb = reverse("expert-photo", args=[f"{expert.photo_key}-128.webp"])
    listed = api_client.get(reverse("expert-list")).json()["results"]
    assert [e["avatar_thumb_url"] for e in listed] == [thumb]
    profile = api_client.get(reverse("expert-detail", args=[expert.pk])).json()
    assert profile["avatar_url"].endswith("-512.webp")
    booking = make_consultation(expert=expert, user=client_user)
    shown = client_for(client_user).get(reverse("consultation-detail", args=[booking.pk])).json()
    assert shown["expert"]["avatar_url"] == thumb
