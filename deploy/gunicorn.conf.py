"""gunicorn settings for the production topology (README "Production topology").

Two kinds of processes use it:
  HTTP   gunicorn project.wsgi -c deploy/gunicorn.conf.py          (threaded WSGI workers)
  /ws/   gunicorn project.asgi:application -c deploy/gunicorn.conf.py \
             -k project.workers.SocketWorker                         (event-loop workers)
Each worker process keeps its own psycopg pool of DB_POOL_SIZE connections, so the
connections of a deployment are bounded by (processes x DB_POOL_SIZE) + Celery's.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# Threaded WSGI workers: one request per thread, as many threads as pooled connections,
# so a request never waits for a connection while holding a thread (ignored by uvicorn).
# project.workers.HttpWorker is gunicorn's gthread worker whose own refusals (malformed
# request line or headers) are JSON in the API's error shape instead of an HTML page.
worker_class = os.environ.get("WORKER_CLASS", "project.workers.HttpWorker")
threads = int(os.environ.get("WEB_THREADS", os.environ.get("DB_POOL_SIZE", "8")))
# Connections beyond the busy threads wait in the kernel/worker queue, not in PostgreSQL.
backlog = 2048
worker_connections = 10000
keepalive = 5
timeout = 60
graceful_timeout = 20
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def child_exit(server, worker):
    # A dead worker's live gauges (open sockets) must leave /metrics' sum.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
