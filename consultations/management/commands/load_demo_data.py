"""Believable demo data: an admin, a demo client, approved experts in several time zones.

Idempotent: running it again updates the same rows instead of adding new ones.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from consultations.models import (
    Expert,
    ExpertAvailability,
    ExpertiseArea,
    Language,
)
from consultations.services.scheduling import refresh_next_available_at

DEMO_PASSWORD = "demo-pass-2026"

LANGUAGES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "ja": "Japanese",
    "pt": "Portuguese",
    "hi": "Hindi",
}

# (email, name, headline, bio, tz, rate, currency, areas, langs, weekly (weekday, start, end))
EXPERTS = [
    (
        "amelie.laurent@demo.consult",
        "Amélie Laurent",
        "Tax advisor for freelancers in the EU",
        "Fifteen years helping independent workers file VAT and income tax across France "
        "and Belgium.",
        "Europe/Paris",
        "90.00",
        "EUR",
        ["Tax", "Freelancing"],
        ["fr", "en"],
        [(d, time(9), time(12)) for d in range(5)] + [(d, time(14), time(17)) for d in range(4)],
    ),
    (
        "marcus.webb@demo.consult",
        "Marcus Webb",
        "Staff engineer: system design and career coaching",
        "Ex-infrastructure lead. Mock system-design interviews, architecture reviews and "
        "promotion cases.",
        "America/New_York",
        "150.00",
        "USD",
        ["Software architecture", "Career coaching"],
        ["en", "es"],
        [(d, time(8), time(11)) for d in range(5)] + [(5, time(10), time(13))],
    ),
    (
        "yuki.tanaka@demo.consult",
        "Yuki Tanaka",
        "UX research and product discovery",
        "Runs discovery sprints for start-ups in Tokyo and Singapore; plain talk on what "
        "users need.",
        "Asia/Tokyo",
        "120.00",
        "USD",
        ["UX research", "Product management"],
        ["ja", "en"],
        [(d, time(10), time(18)) for d in range(1, 6)],
    ),
    (
        "priya.nair@demo.consult",
        "Dr. Priya Nair",
        "Nutrition and sports dietetics",
        "Registered dietitian; meal plans for endurance athletes and busy parents.",
        "Asia/Kolkata",
        "60.00",
        "USD",
        ["Nutrition", "Health"],
        ["en", "hi"],
        [(d, time(7), time(10)) for d in range(6)] + [(d, time(17), time(20)) for d in range(5)],
    ),
    (
        "lucas.pereira@demo.consult",
        "Lucas Pereira",
        "Immigration lawyer (Portugal, EU)",
        "Golden visa, D7 and digital-nomad residence; document reviews and step-by-step plans.",
        "Europe/Lisbon",
        "110.00",
        "EUR",
        ["Immigration law", "Legal"],
        ["pt", "en", "es"],
        [(d, time(9), time(13)) for d in range(5)],
    ),
]


class Command(BaseCommand):
    help = "Load demo users, approved experts and availability (safe to run repeatedly)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only load when the database has no users yet (first start of bin/run).",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Database already has users; demo data left as it is.")
            return
        admin = self._user("admin@demo.consult", "Ada", "Admin", staff=True)
        client = self._user("client@demo.consult", "Chris", "Client")
        langs = {
            code: Language.objects.update_or_create(code=code, defaults={"name": name})[0]
            for code, name in LANGUAGES.items()
        }
        experts = []
        for email, name, headline, bio, tz, rate, cur, areas, codes, weekly in EXPERTS:
            first, _, last = name.replace("Dr. ", "").partition(" ")
            user = self._user(email, first, last)
            expert, _ = Expert.objects.update_or_create(
                user=user,
                defaults={
                    "name": name,
                    "headline": headline,
                    "bio": bio,
                    "timezone": tz,
                    "hourly_rate": Decimal(rate),
                    "currency": cur,
                    "session_lengths": [30, 60],
                    "slot_interval_minutes": 30,
                    "buffer_after_minutes": 10 if Decimal(rate) >= 100 else 0,
                    "min_notice_minutes": 60,
                    "verification_status": Expert.VerificationStatus.APPROVED,
                    "verified_at": timezone.now(),
                },
            )
            expert.expertise_areas.set(
                ExpertiseArea.objects.get_or_create(slug=slugify(a), defaults={"name": a})[0]
                for a in areas
            )
            expert.languages.set(langs[c] for c in codes)
            # Replace, never append: a rerun must not duplicate the weekly rules.
            expert.availability_rules.all().delete()
            ExpertAvailability.objects.bulk_create(
                ExpertAvailability(expert=expert, weekday=d, start_time=s, end_time=e)
                for d, s, e in weekly
            )
            experts.append(expert)
        self._refresh_next_available(experts)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(experts)} experts. Logins (password {DEMO_PASSWORD}): "
                f"{client.email} (client), {EXPERTS[0][0]} (expert), {admin.email} (admin)."
            )
        )

    def _user(self, email: str, first: str, last: str, staff: bool = False) -> User:
        user, created = User.objects.get_or_create(
            username=email,
            defaults={
                "email": email,
                "first_name": first,
                "last_name": last,
                "is_staff": staff,
                "is_superuser": staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _refresh_next_available(self, experts: list[Expert]) -> None:
        for expert in experts:
            refresh_next_available_at(expert)
