"""The uvicorn worker class the socket processes run under gunicorn (deploy/gunicorn.conf.py).

Per-message deflate is off: Consult's frames are small JSON events, where compressing each
one costs CPU on the socket process (the bottleneck, bench/README.md) and saves little.
"""

from uvicorn.workers import UvicornWorker


class SocketWorker(UvicornWorker):
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "ws_per_message_deflate": False}
