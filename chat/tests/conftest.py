"""Chat fixtures: `user` talks to `expert` (owned by `expert_user`); `third_user` is a stranger."""

from __future__ import annotations

import gc
import shutil

import pytest
from django.conf import settings

from chat.models import ExpertChatConversation
from consultations.models import Expert


@pytest.fixture(autouse=True)
def _clean_media():
    yield
    shutil.rmtree(settings.MEDIA_ROOT / "chat", ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _release_worker_thread_connections(django_db_setup):
    # Socket handlers run in the event loop's worker threads (chat/socket_handlers.py);
    # those threads end with each test's loop and their thread-local DB connections
    # are only closed when collected. Collect before the test database is dropped.
    yield
    gc.collect()


@pytest.fixture
def expert_user(make_user):
    return make_user(first_name="Eve", last_name="Expert")


@pytest.fixture
def third_user(make_user):
    return make_user(first_name="Theo", last_name="Third")


@pytest.fixture
def make_expert(make_user):
    def _make(owner=None, status=Expert.VerificationStatus.APPROVED, **extra) -> Expert:
        owner = owner or make_user()
        return Expert.objects.create(
            user=owner,
            name=owner.get_full_name() or owner.email,
            verification_status=status,
            **extra,
        )

    return _make


@pytest.fixture
def expert(make_expert, expert_user) -> Expert:
    return make_expert(expert_user)


@pytest.fixture
def conversation(user, expert) -> ExpertChatConversation:
    return ExpertChatConversation.objects.create(user=user, expert=expert)


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81"
    b"\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
