"""Outbound HTTP to addresses users typed in (calendar feeds, webhooks), SSRF-safe.

- Only https (and http where `INTEGRATIONS_ALLOW_HTTP` is on, for local testing), default
  ports or any port; no credentials in URLs.
- The host is resolved once and EVERY address it resolves to must be public
  (`ipaddress.is_global`, IPv4-mapped IPv6 unwrapped): loopback, private, link-local (cloud
  metadata), CGNAT, multicast and reserved ranges are refused unless
  `INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES` is on. The connection then goes to the checked
  address itself (TLS still verifies the certificate for the host name), so a DNS answer
  that changes between the check and the connect (rebinding) cannot reach another host.
- Redirects are followed by hand, at most `max_redirects`, each target checked the same way.
- Connect and read timeouts, an overall deadline, and a size cap on the body.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings

USER_AGENT = "Consult-Integrations/1.0"
REDIRECT_CODES = {301, 302, 303, 307, 308}


class UnsafeURL(ValueError):
    """The URL is refused before any connection (scheme, host, address)."""


class FetchError(Exception):
    """The request failed (network, timeout, too large, too many redirects)."""


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    elapsed_ms: int
    redirects: list[str] = field(default_factory=list)


def _allow_private() -> bool:
    return bool(settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES)


def _allow_http() -> bool:
    return bool(settings.INTEGRATIONS_ALLOW_HTTP)


def address_allowed(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if _allow_private():
        return not addr.is_multicast and not addr.is_unspecified
    return addr.is_global and not addr.is_multicast


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path+query) of an acceptable URL, or UnsafeURL saying why."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    if scheme not in ("https", "http"):
        raise UnsafeURL("Use an https:// address.")
    if scheme == "http" and not _allow_http():
        raise UnsafeURL("Use an https:// address (plain http is not accepted).")
    if parts.username or parts.password:
        raise UnsafeURL("Addresses with a user name or password are not accepted.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("The address has no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve_public(host: str, port: int) -> list[str]:
    """Every address of `host`; UnsafeURL if any is not allowed (or none resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"Could not resolve {host} ({exc}).") from None
    ips = sorted({str(info[4][0]) for info in infos})
    if not ips:
        raise FetchError(f"{host} has no address.")
    refused = [ip for ip in ips if not address_allowed(ip)]
    if refused:
        raise UnsafeURL(
            f"{host} points to a private or reserved address ({refused[0]}); it is refused."
        )
    return ips


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        context = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip = ip
        self._context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    deadline_seconds: float = 30.0,
    max_bytes: int = 2 * 1024 * 1024,
    max_redirects: int = 3,
) -> HttpResult:
    """One request (plus redirects), refusing unsafe targets. Raises UnsafeURL / FetchError."""
    started = time.monotonic()
    redirects: list[str] = []
    current = url
    while True:
        scheme, host, port, path = check_url(current)
        ip = resolve_public(host, port)[0]
        conn_cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = conn_cls(host, port, ip, timeout)
        send_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        send_headers.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=send_headers)
            response = conn.getresponse()
            status = response.status
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            location = response_headers.get("location")
            if status in REDIRECT_CODES and location and max_redirects >= 0:
                response.close()
                if len(redirects) >= max_redirects:
                    raise FetchError(f"Too many redirects (more than {max_redirects}).")
                current = urljoin(current, location)
                redirects.append(current)
                if status == 303:
                    method, body = "GET", None
                continue
            declared = response_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"The response is larger than {max_bytes // 1024} KiB.")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() - started > deadline_seconds:
                    raise FetchError(f"No complete answer within {deadline_seconds:g} s.")
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"The response is larger than {max_bytes // 1024} KiB.")
                chunks.append(chunk)
            return HttpResult(
                status=status,
                headers=response_headers,
                body=b"".join(chunks),
                url=current,
                elapsed_ms=int((time.monotonic() - started) * 1000),
                redirects=redirects,
            )
        except TimeoutError as exc:
            raise FetchError(f"Timed out after {timeout:g} s.") from exc
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error: {exc.reason or exc}.") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"Connection failed: {exc or type(exc).__name__}.") from exc
        finally:
            conn.close()
