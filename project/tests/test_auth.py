"""project/auth.py: request_user gives views the signed-in User, never AnonymousUser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.exceptions import NotAuthenticated

from project.auth import request_user


def test_returns_the_signed_in_user(make_user):
    user = make_user()
    request = RequestFactory().get("/")
    request.user = user
    assert request_user(request) is user


def test_anonymous_request_is_refused_not_run_as_nobody():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(NotAuthenticated):
        request_user(request)
