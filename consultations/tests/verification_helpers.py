"""Shared pieces for the verification, documents, expert list and admin tests."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from consultations import signals
from consultations.models import ExpertApplication

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
GIF_BYTES = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32
HTML_BYTES = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ZIP_BYTES = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG_BYTES = _png()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def apply_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "motivation": "I want to help founders with their tax questions.",
        "expertise": "Tax law, accounting",
        "experience": "12 years at a Big Four firm.",
        "headline": "Tax advisor for startups",
        "expertise_areas": ["Tax law", "Accounting"],
        "languages": ["en", "pt-BR"],
        "hourly_rate": "95.00",
        "currency": "eur",
        "timezone": "Europe/Lisbon",
    }
    payload.update(overrides)
    return payload


def make_application(user, **fields: Any) -> ExpertApplication:
    """An application row written directly (no service), for setting up a state."""
    defaults: dict[str, Any] = {
        "motivation": "m",
        "expertise": "e",
        "experience": "x",
        "headline": "Headline",
        "expertise_areas": ["Tax law"],
        "languages": ["en"],
        "hourly_rate": Decimal("80.00"),
        "currency": "USD",
        "timezone": "UTC",
    }
    defaults.update(fields)
    return ExpertApplication.objects.create(applicant=user, **defaults)


@contextmanager
def record_signals() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Records (name, kwargs) for the three verification signals sent inside the block."""
    calls: list[tuple[str, dict[str, Any]]] = []
    named = {
        "submitted": signals.expert_application_submitted,
        "reviewed": signals.expert_application_reviewed,
        "expert_status": signals.expert_status_changed,
    }
    for name, signal in named.items():

        def receiver(sender, _name=name, **kwargs):
            kwargs.pop("signal", None)
            calls.append((_name, kwargs))

        signal.connect(receiver, weak=False, dispatch_uid=f"h3-test-{name}")
    try:
        yield calls
    finally:
        for name, signal in named.items():
            signal.disconnect(dispatch_uid=f"h3-test-{name}")
