"""Hostile-input probe against a RUNNING server (loopback only): one line per attack.

    BASE_URL=http://127.0.0.1:8000 .venv/bin/python -m bench.probe_hostile
    PROBE_SOCKETS=0 BASE_URL=...   # HTTP only (production's gunicorn serves no /ws/)

Logs in as the demo client and expert (load_demo_data), then tries what issue 13 reported:
impossible dates, far years, out-of-range UTC offsets, deep JSON, bad socket frames,
polyglot attachments, spoofed X-Forwarded-For, chunked and empty uploads, non-integer ids,
login without CSRF. Prints `case | status | detail` and a count of 5xx answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import sys
import time
import uuid
import zlib
from urllib.parse import urlparse

import httpx
import websockets

BASE = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
API = f"{BASE}/api/v1"
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
rows: list[tuple[str, str, str]] = []


def row(case: str, status: object, detail: str = "") -> None:
    detail = " ".join(detail.split())
    rows.append((case, str(status), detail[:110]))
    print(f"{case:<48} | {status!s:<6} | {detail[:110]}", flush=True)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


HTML = b"<html><script>alert(document.cookie)</script></html>"
PDF_HTML = b"%PDF-1.4\n" + HTML + b"\n%%EOF\n"


def login(client: httpx.Client, email: str) -> str:
    r = httpx.post(f"{API}/auth/login/", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    return r.json()["token"]


def raw_request(request_line: bytes, extra: bytes, host: bytes | None = None) -> tuple[int, str]:
    """Send bytes no HTTP client would (control characters in headers); (status, type)."""
    import socket

    parsed = urlparse(BASE)
    host = host or (parsed.hostname or "127.0.0.1").encode()
    with socket.create_connection((parsed.hostname, parsed.port or 80), timeout=10) as sock:
        sock.sendall(
            request_line + b"Host: " + host + b"\r\n" + extra + b"Connection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1]) if len(head[0].split(" ")) > 1 else 0
    types = [h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("content-type")]
    return status, (types[0] if types else "(no content type)")


def ctype(r: httpx.Response) -> str:
    return r.headers.get("content-type", "").split(";")[0]


def main() -> int:
    c = httpx.Client(timeout=30)  # token auth; logins go through module-level httpx.post
    client_tok = login(c, "client@demo.consult")
    expert_tok = login(c, "amelie.laurent@demo.consult")
    H = {"Authorization": f"Token {client_tok}"}
    E = {"Authorization": f"Token {expert_tok}"}
    anon = httpx.Client(timeout=30)

    experts = c.get(f"{API}/consultations/experts/", headers=H).json()["results"]
    expert_id = experts[0]["id"]
    me_expert = c.get(f"{API}/consultations/experts/me/", headers=E).json()["id"]

    # --- impossible datetimes, far years, offsets
    for start in ("2027-02-30T10:00:00Z", "9999-12-31T23:59:59-23:59", "2026-13-01T00:00:00Z"):
        r = c.post(
            f"{API}/consultations/consultations/book/",
            headers=H,
            json={"expert_id": expert_id, "start_at": start, "duration_minutes": 30, "topic": "x"},
        )
        row(f"book start_at={start}", r.status_code, r.text[:100])
    upcoming = c.get(f"{API}/consultations/consultations/upcoming/", headers=H).json()
    items = upcoming.get("results", upcoming) if isinstance(upcoming, dict) else upcoming
    if items:
        cid = items[0]["id"]
        r = c.post(
            f"{API}/consultations/consultations/{cid}/reschedule/",
            headers=H,
            json={"start_at": "2027-02-30T10:00:00Z"},
        )
        row("reschedule start_at=2027-02-30", r.status_code, r.text[:100])
    for q in (
        "date=9999-12-31",
        "date=0001-01-01",
        "from=9999-12-30&to=9999-12-31",
        "from=0001-01-01&to=0001-01-02",
        "date=2026-02-30",
        "date=2026-12-01&tz=Mars/Olympus",
    ):
        r = c.get(f"{API}/consultations/experts/{me_expert}/time-slots/?{q}", headers=H)
        row(f"time-slots {q}", r.status_code, r.text[:100])
    for q in (
        "start_from=2026-01-01T00:00:00%2B23:47",
        "start_to=0001-01-01T00:00:00%2B01:00",
        "start_from=9999-12-31T23:59:59-10:00",
        "status=bogus",
        "page=abc",
        "page=99999999999999999999",
    ):
        r = c.get(f"{API}/consultations/experts/consultations/?{q}", headers=E)
        row(f"expert list {q}", r.status_code, r.text[:100])
    r = c.post(
        f"{API}/consultations/experts/availability/blocks/",
        headers=E,
        json={"start_at": "2030-01-01T00:00:00+23:47", "end_at": "2030-01-02T00:00:00+23:47"},
    )
    row("availability block offset +23:47", r.status_code, r.text[:100])
    if r.status_code == 201:
        c.delete(f"{API}/consultations/experts/availability/blocks/{r.json()['id']}/", headers=E)

    # --- deep JSON
    deep = "[" * 2000
    r = anon.post(f"{API}/auth/login/", content=deep, headers={"Content-Type": "application/json"})
    row("anon login body [x2000", r.status_code, r.text[:100])
    r = c.post(
        f"{API}/consultations/consultations/book/",
        content='{"topic": ' + "[" * 100 + "]" * 100 + "}",
        headers={**H, "Content-Type": "application/json"},
    )
    row("book body nested x100", r.status_code, r.text[:100])

    # --- ids and 404s
    for path in ("consultations/consultations/abc/", "consultations/chat/-1/", "nope/"):
        r = c.get(f"{API}/{path}", headers=H)
        row(f"GET /api/v1/{path}", r.status_code, ctype(r))
    r = c.get(f"{API}/consultations/experts/99999999999999999999999/", headers=H)
    row("GET expert id 10^23", r.status_code, ctype(r))

    # --- chat attachments
    conv = c.post(f"{API}/consultations/chat/", headers=H, json={"expert_id": expert_id})
    conv_id = conv.json()["id"]
    for name, data in (
        ("invoice.html", PDF_HTML),
        ("poly.html", png() + HTML),
        ("../../etc/passwd", PDF_HTML),
    ):
        r = c.post(
            f"{API}/consultations/chat/{conv_id}/send/",
            headers=H,
            data={"client_id": uuid.uuid4().hex},
            files={"attachment": (name, data, "text/html")},
        )
        if r.status_code != 201:
            row(f"attach {name}", r.status_code, r.text[:100])
            continue
        mid = r.json()["id"]
        d = c.get(f"{API}/consultations/chat/messages/{mid}/attachment/", headers=H)
        row(
            f"attach {name} -> download",
            d.status_code,
            f"{d.headers.get('content-type')} | {d.headers.get('content-disposition')}",
        )
    r = c.post(
        f"{API}/consultations/chat/{conv_id}/send/",
        headers={**H, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"",
    )
    row("send empty multipart body", r.status_code, f"{ctype(r)} {r.text[:80]}")

    boundary = "b0und"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="client_id"\r\n\r\n'
            f"{uuid.uuid4().hex}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="attachment"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + png()
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks():
        for i in range(0, len(body), 64):
            yield body[i : i + 64]

    r = c.post(
        f"{API}/consultations/chat/{conv_id}/send/",
        headers={**H, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=chunks(),
    )
    row("send chunked upload", r.status_code, r.text[:100])

    # --- throttles: spoofed X-Forwarded-For, per-account
    codes = []
    for i in range(40):
        r = anon.post(
            f"{API}/auth/login/",
            json={"email": "client@demo.consult", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"10.0.{i}.{i}"},
        )
        codes.append(r.status_code)
    row(
        "40 wrong logins, rotating XFF",
        f"{codes.count(429)}x429",
        f"first 429 at #{codes.index(429) + 1 if 429 in codes else '-'}; "
        f"Retry-After={r.headers.get('retry-after')}",
    )

    # --- login without CSRF from a browser-looking request
    fresh = httpx.Client(timeout=30)
    fresh.get(f"{BASE}/api/v1/auth/session/")
    r = fresh.post(
        f"{API}/auth/login/",
        json={"email": "client@demo.consult", "password": PASSWORD},
        headers={"Origin": BASE},
    )
    row("browser login POST without CSRF token", r.status_code, r.text[:80])

    # --- requests the HTTP server itself refuses, and Django-level refusals (issue 13 part 2)
    for case, raw in (
        ("cookie value with a vertical tab (\\x0b)", b"Cookie: sessionid=a\x0bb\r\n"),
        ("cookie value with \\x05", b"Cookie: sessionid=a\x05b\r\n"),
        ("header name with parentheses", b"X(a): 1\r\n"),
    ):
        status, ct = raw_request(b"GET /api/v1/consultations/experts/ HTTP/1.1\r\n", raw)
        row(case, status, ct)
    status, ct = raw_request(
        b"GET /api/v1/consultations/experts/ HTTP/1.1\r\n", b"", host=b"evil.example"
    )
    row("Host header not in ALLOWED_HOSTS", status, ct)
    for page in ("abc", "0", "9" * 30):
        r = anon.get(f"{API}/consultations/experts/", params={"page": page})
        row(f"experts list ?page={page[:12]}", r.status_code, f"{ctype(r)} {r.text[:70]}")
    r = anon.get(f"{API}/integrations/calendar.ics", params={"token": "a\x00b"})
    row("calendar feed token with a NUL byte", r.status_code, f"{ctype(r)} {r.text[:60]}")
    codes = []
    for i in range(14):
        r = anon.post(
            f"{API}/auth/password/reset/",
            json={"email": "client@demo.consult"},
            headers={"X-Forwarded-For": f"10.1.{i}.{i}"},
        )
        codes.append(r.status_code)
    row("14 password resets, rotating XFF", f"{codes.count(429)}x429", "untrusted peer")

    for method in (b"XYZZY", b"BREWCOFFEE"):
        status, ct = raw_request(method + b" /api/v1/consultations/experts/ HTTP/1.1\r\n", b"")
        row(f"invented method {method.decode()}", status, ct)
    metrics = httpx.get(f"{BASE}/metrics").text
    leaked = [m for m in ("XYZZY", "BREWCOFFEE") if f'method="{m}"' in metrics]
    row("invented methods as /metrics labels", len(leaked), "series named after them")

    # --- socket frames (PROBE_SOCKETS=0 against an HTTP-only server such as gunicorn WSGI)
    if os.environ.get("PROBE_SOCKETS", "1") == "1":
        asyncio.run(sockets(client_tok))
    fives = [r for r in rows if r[1].startswith("5")]
    print(f"\n{len(rows)} probes, {len(fives)} answered 5xx")
    return 0


async def sockets(token: str) -> None:
    u = urlparse(BASE)
    url = f"ws://{u.netloc}/ws/?token={token}"
    for label, frame in (
        ("ws non-JSON text", "{not json"),
        ("ws binary frame", b"\x00\x01\x02"),
        ("ws [ x2000", "[" * 2000),
        ("ws 200 KB frame", json.dumps({"type": "ping", "x": "a" * 200_000})),
    ):
        async with websockets.connect(url, origin=BASE, max_size=None) as ws:
            await ws.recv()  # session.ready
            await ws.send(frame)
            try:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                await ws.send(json.dumps({"type": "ping", "request_id": "p"}))
                pong = json.loads(await asyncio.wait_for(ws.recv(), 5))
                row(label, reply["type"], f"{reply['data'].get('code')}; then {pong['type']}")
            except websockets.ConnectionClosed as exc:
                row(label, f"close {exc.rcvd.code if exc.rcvd else '?'}", "socket closed")

    # A flood of actions on one socket: past the frame budget each gets rate_limited.
    async with websockets.connect(url, origin=BASE, max_size=None) as ws:
        await ws.recv()  # session.ready
        frames = 2000
        started = time.perf_counter()
        for n in range(frames):
            await ws.send(json.dumps({"type": "chat.read", "request_id": n, "data": {}}))
        codes: dict[str, int] = {}
        for _ in range(frames):
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            code = reply["data"].get("code") or reply["type"]
            codes[code] = codes.get(code, 0) + 1
        took = time.perf_counter() - started
        row(
            f"ws flood of {frames} actions",
            codes.get("rate_limited", 0),
            f"{codes} in {took:.2f} s",
        )

    # Many sockets of one user: past the per-process cap each is closed with 4429.
    held, refused = [], 0
    for _ in range(int(os.environ.get("PROBE_SOCKETS_PER_USER", "80"))):
        ws = await websockets.connect(url, origin=BASE, max_size=None)
        try:
            await asyncio.wait_for(ws.recv(), 5)
            held.append(ws)
        except websockets.ConnectionClosed as exc:
            refused += exc.rcvd is not None and exc.rcvd.code == 4429
    row("sockets of one user held / refused 4429", len(held), f"{refused} refused")
    for ws in held:
        await ws.close()


if __name__ == "__main__":
    sys.exit(main())
