"""project/client_ip.py: X-Forwarded-For is believed only as far as our proxies wrote it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from project.client_ip import client_ip


def _request(peer: str, xff: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=peer)
    if xff is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = xff
    return request


@pytest.mark.parametrize(
    ("hops", "proxies", "peer", "xff", "expected"),
    [
        (0, [], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no proxy: header ignored
        (1, [], "10.0.0.2", "1.2.3.4", "1.2.3.4"),
        (1, [], "10.0.0.2", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # client-written part ignored
        (2, [], "10.0.0.3", "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (1, [], "10.0.0.2", "not-an-ip", "10.0.0.2"),
        (1, [], "10.0.0.2", "", "10.0.0.2"),
        (1, ["10.0.0.0/8"], "10.0.0.2", "1.2.3.4", "1.2.3.4"),
        (1, ["10.0.0.0/8"], "198.51.100.7", "1.2.3.4", "198.51.100.7"),  # peer not our proxy
        (1, [], "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(settings, hops, proxies, peer, xff, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    settings.TRUSTED_PROXIES = proxies
    assert client_ip(_request(peer, xff)) == expected


@given(st.lists(st.ip_addresses().map(str), max_size=5), st.text(max_size=30))
def test_without_proxies_the_client_cannot_choose_its_address(spoofed, junk):
    from django.conf import settings

    assert settings.TRUSTED_PROXY_COUNT == 0
    header = ", ".join([*spoofed, junk])
    assert client_ip(_request("192.0.2.1", header)) == "192.0.2.1"
