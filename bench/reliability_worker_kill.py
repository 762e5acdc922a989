"""A Celery worker SIGKILLed during the reminder run: every reminder still goes out once.

C confirmed consultations start in 30-50 minutes, each with its own client and expert,
so each of the 2*C people is owed exactly one "starts in 1 hour" email. A real worker
(prefork, concurrency 2, Redis broker on DB 10) runs two overlapping
send_consultation_reminders tasks with a slow email backend that records every message
it sends to a file; once part of the emails are out, the worker's whole process group
is SIGKILLed. A second worker then takes over: the killed task comes back from the broker
(acks_late), the next beat ticks are simulated (send_consultation_reminders and the
check_upcoming_consultations recovery sweep) until every reminder row is finished.

Pass: every recipient got exactly one reminder and every reminder row is "sent".
The service documents one at-least-once window (killed after the mail server accepted a
message, before the commit); a duplicate from it still counts as a failure here, and the
slow backend makes that window small next to the time spent "talking to the server".

Run:  .venv/bin/python bench/reliability_worker_kill.py [--consultations 60]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

BENCH = "reliability_worker_kill"
DB = "consult_h9_worker"
BROKER = common.redis_url(db=10)
MAIL_LOG = common.ROOT / "var" / "bench" / "worker-kill-mail.jsonl"


class RecordingSlowBackend(BaseEmailBackend):
    """Takes --mail-delay seconds per message (a slow SMTP server), then records it."""

    def send_messages(self, email_messages):
        delay = float(os.environ.get("BENCH_MAIL_DELAY", "0.1"))
        sent = 0
        for message in email_messages:
            time.sleep(delay)
            line = json.dumps({"to": message.to, "subject": message.subject, "pid": os.getpid()})
            with open(os.environ.get("BENCH_MAIL_LOG", MAIL_LOG), "a") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
            sent += 1
        return sent


def mail_lines() -> list[dict]:
    if not MAIL_LOG.exists():
        return []
    return [json.loads(line) for line in MAIL_LOG.read_text().splitlines() if line.strip()]


def seed(count: int) -> list[int]:
    from django.utils import timezone

    from consultations.models import Consultation
    from consultations.tests.factories import make_consultation, make_expert, make_user

    now = timezone.now().replace(microsecond=0)
    ids = []
    for i in range(count):
        c = make_consultation(
            user=make_user(email=f"client{i}@bench.local"),
            expert=make_expert(make_user(email=f"expert{i}@bench.local")),
            start_at=now + timedelta(minutes=30, seconds=20 * i),
            status=Consultation.Status.CONFIRMED,
        )
        ids.append(c.pk)
    return ids


def start_worker(name: str, mail_delay: float) -> subprocess.Popen:
    env = common.bench_env(
        DB,
        redis=BROKER,
        extra={
            "DJANGO_SETTINGS_MODULE": "bench.worker_settings",
            "CELERY_BROKER_URL": BROKER,
            "BENCH_MAIL_LOG": str(MAIL_LOG),
            "BENCH_MAIL_DELAY": str(mail_delay),
        },
    )
    log = open(common.ROOT / "var" / "bench" / f"worker-{name}.log", "w")  # kept by the worker
    return subprocess.Popen(
        [
            str(common.VENV_BIN / "celery"),
            "-A",
            "project",
            "worker",
            "-n",
            f"h9-{name}@%h",
            "-c",
            "2",
            "-P",
            "prefork",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=common.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so SIGKILL reaches the pool children
    )


def kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def reminder_states(ids: list[int]) -> collections.Counter:
    from django.db import connection

    from consultations.models import ConsultationReminder

    connection.close()  # read fresh rows written by the workers
    return collections.Counter(
        ConsultationReminder.objects.filter(consultation_id__in=ids).values_list(
            "status", flat=True
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, default=60)
    parser.add_argument("--mail-delay", type=float, default=0.1)
    parser.add_argument("--kill-after", type=float, default=0.3, help="fraction of emails out")
    parser.add_argument("--time-limit", type=float, default=180)
    args = parser.parse_args()
    if os.environ.get("BENCH_QUICK") == "1":
        args.consultations = 20

    from celery import Celery

    common.create_database(DB)
    common.setup_django(DB, redis=BROKER)
    common.flush_redis_db(10)
    MAIL_LOG.parent.mkdir(parents=True, exist_ok=True)
    MAIL_LOG.unlink(missing_ok=True)
    ids = seed(args.consultations)
    expected = 2 * args.consultations
    broker = Celery("bench", broker=BROKER)
    case = f"{args.consultations} consultations, kill at {int(args.kill_after * 100)}%"

    deadline = time.monotonic() + args.time_limit
    first = start_worker("a", args.mail_delay)
    second = None
    try:
        for _ in range(2):  # two overlapping runs, as when a beat tick meets a slow run
            broker.send_task("notifications.tasks.send_consultation_reminders")
        while len(mail_lines()) < expected * args.kill_after:
            if time.monotonic() > deadline or first.poll() is not None:
                raise SystemExit("worker A never got going; see var/bench/worker-a.log")
            time.sleep(0.05)
        before_kill = len(mail_lines())
        kill_group(first, signal.SIGKILL)
        common.log(f"SIGKILLed worker A after {before_kill} of {expected} emails")

        second = start_worker("b", args.mail_delay)
        ticks = 0
        while time.monotonic() < deadline:
            states = reminder_states(ids)
            if states.get("sent", 0) == args.consultations and len(mail_lines()) >= expected:
                break
            # The next beat ticks: the regular run and the recovery sweep.
            broker.send_task("notifications.tasks.send_consultation_reminders")
            broker.send_task("notifications.tasks.check_upcoming_consultations")
            ticks += 1
            time.sleep(3)
        time.sleep(2)  # let any in-flight send finish before counting
    finally:
        kill_group(first, signal.SIGKILL)
        if second is not None:
            kill_group(second, signal.SIGTERM)

    lines = mail_lines()
    per_recipient = collections.Counter((tuple(m["to"]), m["subject"]) for m in lines)
    recipients = {f"client{i}@bench.local" for i in range(args.consultations)} | {
        f"expert{i}@bench.local" for i in range(args.consultations)
    }
    got = {to for (tos, _), n in per_recipient.items() for to in tos}
    missing = sorted(recipients - got)
    duplicates = sum(n - 1 for n in per_recipient.values() if n > 1)
    states = reminder_states(ids)
    ok = not missing and duplicates == 0 and states.get("sent", 0) == args.consultations
    common.emit(BENCH, case, "result", "PASS" if ok else "FAIL", "")
    common.emit(BENCH, case, "emails sent / expected", f"{len(lines)} / {expected}")
    common.emit(BENCH, case, "emails before SIGKILL", before_kill, "")
    common.emit(BENCH, case, "recipients missing a reminder", len(missing), "")
    common.emit(BENCH, case, "duplicate reminders", duplicates, "")
    common.emit(BENCH, case, "reminder rows", dict(states).__repr__(), "", ticks=ticks)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
