"""project/uploads.py: display names always safe and always of the sniffed type."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from project.uploads import MAX_NAME_LENGTH, sanitise_filename, serves_inline, sniff_mime


@given(st.text(max_size=400), st.sampled_from(["pdf", "png", "jpg", "gif", "webp"]))
def test_any_client_name_becomes_a_safe_name_with_the_sniffed_extension(name, extension):
    safe = sanitise_filename(name, extension, default_stem="attachment")
    assert safe.endswith(f".{extension}")
    assert safe.count(".") >= 1 and not safe.startswith(".")
    assert not set(safe) & set('/\\"<>:;\r\n\x00')
    assert len(safe) <= MAX_NAME_LENGTH
    assert safe == sanitise_filename(safe, extension)  # stable: a safe name stays as is


@pytest.mark.parametrize(
    ("name", "safe"),
    [("..", "attachment.pdf"), ("", "attachment.pdf"), ("../../etc/passwd", "passwd.pdf")],
)
def test_empty_or_path_only_names(name, safe):
    assert sanitise_filename(name, "pdf", default_stem="attachment") == safe


def test_only_allowlisted_raster_images_render_inline():
    assert serves_inline("image/png") and serves_inline("image/webp")
    for mime in ("image/svg+xml", "application/pdf", "text/html", "", "image/x-icon"):
        assert not serves_inline(mime)


def test_sniffing_reads_content_not_names_and_rewinds():
    buffer = io.BytesIO(b"%PDF-1.4\n<html>\n%%EOF\n")
    buffer.seek(5)
    assert sniff_mime(buffer) == "application/pdf"
    assert buffer.tell() == 0
    assert sniff_mime(io.BytesIO(b"<html></html>")) is None
    assert sniff_mime(io.BytesIO(b"")) is None
