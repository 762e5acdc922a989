"""Expert search on SQLite (local development): the word-match fallback of search_experts.

consultations.filters.search_experts picks PostgreSQL full-text search when
connection.vendor == "postgresql" and a word-by-word match otherwise. The test suite runs on
PostgreSQL, so this test runs the fallback for real: a child process with a fresh SQLite
database, migrated, seeded and searched through the same ExpertFilter the API uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
from consultations.filters import ExpertFilter
from consultations.models import Expert, ExpertiseArea
from consultations.tests.factories import make_expert, make_user

def expert(name, headline="", bio="", areas=()):
    e = make_expert(user=make_user(first_name=name), name=name, headline=headline, bio=bio)
    rows = [ExpertiseArea.objects.get_or_create(name=a, slug=a.lower())[0] for a in areas]
    e.expertise_areas.set(rows)

expert("Ines Ortega", headline="Immigration lawyer", bio="Visa and residence permits in Spain.")
expert("Tom Price", headline="Tax adviser", bio="VAT for freelancers.", areas=["Accounting"])
expert("Mia Chen", headline="Product designer", bio="User research and VISA card payment flows.")

def search(term):
    qs = ExpertFilter({"search": term}, queryset=Expert.objects.all()).qs
    return sorted(qs.values_list("name", flat=True))

print(json.dumps({
    "vendor": connection.vendor,
    "results": {
        t: search(t)
        for t in ("visa", "VISA spain", "accounting", "ortega", "tax vat", "permit", "visas",
                  "none")
    },
}))
"""


@pytest.mark.slow
def test_search_falls_back_to_word_matching_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["vendor"] == "sqlite"
    results = out["results"]
    # Words in the bio count, case-insensitively ("visa" finds the lawyer's bio).
    assert results["visa"] == ["Ines Ortega", "Mia Chen"]
    # Every word must match somewhere: "VISA" in Mia's bio, but "spain" only in Ines's.
    assert results["VISA spain"] == ["Ines Ortega"]
    # Expertise areas and names are searched too.
    assert results["accounting"] == ["Tom Price"]
    assert results["ortega"] == ["Ines Ortega"]
    assert results["tax vat"] == ["Tom Price"]
    # Substrings match ("permit" in "permits"), but there is no stemming: "visas" is not
    # in any text. That is the difference from PostgreSQL's English full-text search.
    assert results["permit"] == ["Ines Ortega"]
    assert results["visas"] == []
    assert results["none"] == []
