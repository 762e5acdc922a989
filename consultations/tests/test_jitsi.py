"""consultations/services/jitsi.py: room ids, URLs, the join window, and Jitsi JWTs."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from consultations.models import Consultation
from consultations.services.jitsi import JitsiService
from consultations.tests.factories import make_consultation, make_expert
from consultations.tests.scheduling_helpers import MEETING_START
from project.api_errors import Conflict, NotAllowed

pytestmark = pytest.mark.django_db

START = MEETING_START  # the shared `consultation` fixture's start (conftest.py)
END = START + timedelta(minutes=60)
SECRET = "test-jitsi-secret-that-is-long-enough-for-hs256"


@pytest.fixture(autouse=True)
def _jitsi_settings(settings):
    settings.JITSI_DOMAIN = "meet.jit.si"
    settings.JITSI_APP_ID = "consult-app"
    settings.JITSI_SECRET = SECRET
    settings.JITSI_USE_JWT = True
    settings.JITSI_JOIN_BEFORE_MINUTES = 10
    settings.JITSI_GRACE_AFTER_MINUTES = 30


@pytest.fixture
def expert(make_user):
    user = make_user(first_name="Erin", last_name="Expert")
    return make_expert(user=user, name="Dr. Erin Expert", avatar_url="https://cdn.example/e.png")


def decode(token: str, **options):
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", **options)


# --- room ids ---------------------------------------------------------------------------


def test_room_ids_are_unique_and_carry_128_random_bits():
    rooms = {JitsiService.create_meeting_room() for _ in range(2000)}
    assert len(rooms) == 2000
    for room in rooms:
        # 16 random bytes -> 22 URL-safe base64 characters.
        assert re.fullmatch(r"consult-[A-Za-z0-9_-]{22}", room)


def test_room_id_comes_only_from_the_os_csprng(monkeypatch):
    calls = []

    def fake_token_urlsafe(nbytes):
        calls.append(nbytes)
        return "RANDOM"

    monkeypatch.setattr("consultations.services.jitsi.secrets.token_urlsafe", fake_token_urlsafe)
    assert JitsiService.create_meeting_room() == "consult-RANDOM"
    assert calls == [16]  # 128 bits, and no other input (no ids, names or times)


def test_rooms_of_the_same_pair_share_nothing_but_the_prefix(user, expert):
    first = make_consultation(user=user, expert=expert, start_at=START)
    second = make_consultation(user=user, expert=expert, start_at=START + timedelta(hours=3))
    assert first.meeting_room_id != second.meeting_room_id
    for room in (first.meeting_room_id, second.meeting_room_id):
        assert str(user.email) not in room and "Erin" not in room
    # Position-wise equal characters beyond the prefix: ~0.3 expected for random ids.
    same = sum(a == b for a, b in zip(first.meeting_room_id, second.meeting_room_id, strict=True))
    assert same < len("consult-") + 8


# --- URL --------------------------------------------------------------------------------


def test_meeting_url_is_on_the_configured_domain(consultation, settings):
    assert (
        JitsiService.get_meeting_url(consultation)
        == f"https://meet.jit.si/{consultation.meeting_room_id}"
    )
    settings.JITSI_DOMAIN = "https://video.example.org/"
    assert (
        JitsiService.get_meeting_url(consultation)
        == f"https://video.example.org/{consultation.meeting_room_id}"
    )


def test_meeting_url_carries_the_token_as_jwt_parameter(consultation):
    url = JitsiService.get_meeting_url(consultation, token="abc.def.ghi")
    parts = urlsplit(url)
    assert parts.path == f"/{consultation.meeting_room_id}"
    assert parse_qs(parts.query) == {"jwt": ["abc.def.ghi"]}


def test_consultation_without_room_is_a_clear_conflict(consultation):
    consultation.meeting_room_id = None
    with pytest.raises(Conflict, match="no meeting room"):
        JitsiService.get_meeting_url(consultation)


# --- access window ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [START - timedelta(minutes=10), START, END, END + timedelta(minutes=30)],
    ids=["window-opens", "start", "end", "grace-ends"],
)
def test_participants_may_join_inside_the_window(consultation, user, expert, moment):
    for who in (user, expert.user):
        window = JitsiService.validate_meeting_access(who, consultation, now=moment)
        assert window.opens_at == START - timedelta(minutes=10)
        assert window.closes_at == END + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("moment", "code", "words"),
    [
        (START - timedelta(minutes=10, seconds=1), "meeting_not_open_yet", "opens 10 minutes"),
        (START - timedelta(days=1), "meeting_not_open_yet", "opens 10 minutes"),
        (END + timedelta(minutes=30, seconds=1), "meeting_closed", "closed 30 minutes"),
    ],
)
def test_out_of_window_is_refused_naming_the_window(consultation, user, moment, code, words):
    with pytest.raises(NotAllowed, match=words) as exc:
        JitsiService.validate_meeting_access(user, consultation, now=moment)
    assert exc.value.code == code
    assert exc.value.status_code == 403
    assert exc.value.extra["join_opens_at"] == (START - timedelta(minutes=10)).isoformat()


def test_window_follows_settings(consultation, user, settings):
    settings.JITSI_JOIN_BEFORE_MINUTES = 2
    settings.JITSI_GRACE_AFTER_MINUTES = 0
    with pytest.raises(NotAllowed):
        JitsiService.validate_meeting_access(user, consultation, now=START - timedelta(minutes=3))
    JitsiService.validate_meeting_access(user, consultation, now=START - timedelta(minutes=2))
    with pytest.raises(NotAllowed):
        JitsiService.validate_meeting_access(user, consultation, now=END + timedelta(seconds=1))


def test_outsiders_are_refused(consultation, other_user, staff_user, make_user):
    another_expert = make_expert(user=make_user())
    for outsider in (other_user, staff_user, another_expert.user):
        with pytest.raises(NotAllowed, match="Only the client and the expert") as exc:
            JitsiService.validate_meeting_access(outsider, consultation, now=START)
        assert exc.value.code == "not_participant"


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (Consultation.Status.PENDING, "not_confirmed", "not confirmed"),
        (Consultation.Status.CANCELLED, "consultation_cancelled", "cancelled"),
        (Consultation.Status.COMPLETED, "meeting_ended", "completed"),
        (Consultation.Status.NO_SHOW, "meeting_closed", "no-show"),
    ],
)
def test_only_confirmed_consultations_can_be_joined(user, expert, status, code, words):
    consultation = make_consultation(user=user, expert=expert, start_at=START, status=status)
    with pytest.raises(NotAllowed, match=words) as exc:
        JitsiService.validate_meeting_access(user, consultation, now=START)
    assert exc.value.code == code


# --- JWT --------------------------------------------------------------------------------


@time_machine.travel(START - timedelta(minutes=5), tick=False)
def test_jwt_decodes_with_the_secret_and_carries_jitsi_claims(consultation, user):
    token = JitsiService.generate_jwt_token(user, consultation)
    claims = decode(token)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims["iss"] == "consult-app"
    assert claims["aud"] == "jitsi"
    assert claims["sub"] == "meet.jit.si"
    assert claims["room"] == consultation.meeting_room_id
    assert claims["nbf"] == int((START - timedelta(minutes=10)).timestamp())
    assert claims["exp"] == int((END + timedelta(minutes=30)).timestamp())
    assert claims["iat"] == int((START - timedelta(minutes=5)).timestamp())
    assert claims["context"]["user"] == {
        "id": str(user.id),
        "name": "Uma User",
        "email": user.email,
        "avatar": "",
        "moderator": False,
    }


@time_machine.travel(START, tick=False)
def test_only_the_expert_is_moderator(consultation, expert):
    claims = decode(JitsiService.generate_jwt_token(expert.user, consultation))
    assert claims["context"]["user"]["moderator"] is True
    assert claims["context"]["user"]["name"] == "Dr. Erin Expert"
    assert claims["context"]["user"]["avatar"] == "https://cdn.example/e.png"
    assert claims["context"]["user"]["id"] == str(expert.user_id)


def test_jwt_is_rejected_with_a_wrong_secret_or_audience(consultation, user):
    token = JitsiService.generate_jwt_token(user, consultation, now=START)
    with time_machine.travel(START, tick=False):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, "another-secret-of-sufficient-length!!", algorithms=["HS256"])
        with pytest.raises(jwt.InvalidAudienceError):
            jwt.decode(token, SECRET, algorithms=["HS256"], audience="someone-else")


def test_jwt_is_only_valid_inside_the_join_window(consultation, user):
    token = JitsiService.generate_jwt_token(user, consultation, now=START - timedelta(minutes=5))
    with time_machine.travel(START - timedelta(minutes=11), tick=False):
        with pytest.raises(jwt.ImmatureSignatureError):
            decode(token)
    with time_machine.travel(END + timedelta(minutes=29), tick=False):
        assert decode(token)["room"] == consultation.meeting_room_id
    with time_machine.travel(END + timedelta(minutes=31), tick=False):
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(token)


def test_no_token_when_jwt_is_off(consultation, user, settings):
    settings.JITSI_USE_JWT = False
    assert JitsiService.generate_jwt_token(user, consultation, now=START) is None


def test_jwt_on_without_secret_is_a_configuration_error(consultation, user, settings):
    settings.JITSI_SECRET = ""
    with pytest.raises(ImproperlyConfigured, match="JITSI_SECRET"):
        JitsiService.generate_jwt_token(user, consultation, now=START)


def test_no_token_is_minted_for_an_outsider(consultation, other_user):
    with pytest.raises(NotAllowed):
        JitsiService.generate_jwt_token(other_user, consultation, now=START)
