"""The admin reads well: plural names, titles and object names a person understands."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from consultations.models import ExpertApplication, ExpertAvailability
from consultations.tests.factories import make_expert, make_user

pytestmark = pytest.mark.django_db


def test_model_names_and_object_names_read_as_english():
    assert str(ExpertAvailability._meta.verbose_name_plural) == "expert availability (weekly hours)"
    expert = make_expert(user=make_user(first_name="Ana", last_name="Silva"), name="Ana Silva")
    rule = ExpertAvailability.objects.create(
        expert=expert, weekday=0, start_time=time(9), end_time=time(12, 30)
    )
    assert str(rule) == "Monday 09:00 to 12:30 (Ana Silva)"
    applicant = make_user(first_name="Noor", last_name="Haddad")
    application = ExpertApplication.objects.create(
        applicant=applicant, motivation="m", expertise="d", experience="e"
    )
    assert str(application) == "Noor Haddad's application (waiting for review)"


def test_admin_index_has_product_titles(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Consult administration" in page
    assert "Availabilitys" not in page and "availabilitys" not in page
