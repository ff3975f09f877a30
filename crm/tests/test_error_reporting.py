"""Server errors reach IT (a mail to DJANGO_ADMINS, Sentry when SENTRY_DSN is set) with the traceback and
the page, never with what was typed, looked up or kept in the view's variables."""

import logging
import logging.config
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import path

from crm.logs import logging_config
from crm.sentry import _private_breadcrumb, _private_event
from crm.settings.parse import admins
from crm.tests.test_settings import PRODUCTION, ROOT, clean_environment, manage, settings_of

pytestmark = pytest.mark.django_db

ADMINS = [("IT desk", "it@example.com")]


@login_not_required
def failing_view(request):
    mobile = request.POST.get("mobile", "")
    allergy = request.POST.get("allergy", "")  # noqa: F841 (a local the report must not show)
    raise ValueError(f"guest {mobile} could not be saved")


urlpatterns = [path("boom/", failing_view)]


@pytest.fixture
def mail_on_errors():
    logging.config.dictConfig(logging_config(level="INFO", time_zone="Asia/Shanghai", mail_admins=True))
    yield
    logging.config.dictConfig(settings.LOGGING)


def post_failing_form(**extra):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "s3ss10n-v4lu3-0f-th3-st4ff"
    return client.post(
        "/boom/?q=13912345678", {"mobile": "13812345678", "allergy": "对虾过敏"}, HTTP_REFERER="/?q=13712345678",
        **extra,
    )  # fmt: skip


@override_settings(ROOT_URLCONF=__name__, ADMINS=ADMINS, DEBUG=False)
def test_a_server_error_mails_the_admins_once_with_the_traceback_and_no_personal_data(mail_on_errors):
    response = post_failing_form()
    assert response.status_code == 500
    [message] = mail.outbox
    assert message.to == ["it@example.com"]
    assert message.subject.startswith("[KeShi] ERROR") and "/boom/" in message.subject
    text = message.body + "".join(str(alternative) for alternative in message.alternatives)
    assert "ValueError" in text and "failing_view" in text
    assert "mobile" in text and "allergy" in text  # which fields were posted, not their values
    for private in ("13812345678", "13912345678", "13712345678", "对虾过敏", "s3ss10n-v4lu3-0f-th3-st4ff"):
        assert private not in text, private
    assert "guest *******5678 could not be saved" in text


@override_settings(ROOT_URLCONF=__name__, ADMINS=[], DEBUG=False)
def test_without_admins_a_server_error_sends_no_mail():
    logging.config.dictConfig(logging_config(level="INFO", time_zone="Asia/Shanghai", mail_admins=False))
    try:
        assert post_failing_form().status_code == 500
    finally:
        logging.config.dictConfig(settings.LOGGING)
    assert mail.outbox == []


@override_settings(ROOT_URLCONF=__name__, ADMINS=ADMINS, DEBUG=False)
def test_a_page_not_found_is_no_server_error_and_sends_no_mail(client, mail_on_errors):
    assert client.get("/nowhere/").status_code == 404
    assert mail.outbox == []


def test_django_admins_reads_names_and_addresses():
    assert admins("IT desk <it@example.com>, 王经理 <wang@example.com>") == [
        ("IT desk", "it@example.com"),
        ("王经理", "wang@example.com"),
    ]
    assert admins("") == []


@pytest.mark.parametrize("entry", ["it@example.com", "IT desk", "IT desk <it.example.com>", "IT <@example.com>"])
def test_a_django_admins_entry_without_a_name_and_an_address_is_refused_and_named(entry):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ADMINS"):
        admins(f"Ops <ops@example.com>, {entry}")


def test_production_with_django_admins_mails_server_errors_and_refuses_a_bad_entry_at_start():
    seen = settings_of(PRODUCTION | {"DJANGO_ADMINS": "IT desk <it@example.com>"}, "ADMINS", "LOGGING")
    assert seen["ADMINS"] == [["IT desk", "it@example.com"]]
    assert seen["LOGGING"]["loggers"]["django.request"]["handlers"] == ["mail_admins"]
    assert settings_of(PRODUCTION, "LOGGING")["LOGGING"]["loggers"]["django.request"]["handlers"] == []
    result = manage("check", env=PRODUCTION | {"DJANGO_ADMINS": "it@example.com"})
    assert result.returncode != 0 and "DJANGO_ADMINS: 'it@example.com' is not of the form" in result.stderr


SENTRY_STATE = (
    "import sys, django; django.setup(); loaded = 'sentry_sdk' in sys.modules; print(loaded); "
    "import sentry_sdk; client = sentry_sdk.get_client(); o = client.options; "
    "print(client.is_active(), o['send_default_pii'], o['include_local_variables'], o['max_request_body_size'], "
    "o['environment'], sorted(k for k in client.integrations if k in ('django', 'celery')))"
)


def sentry_state(**env):
    result = subprocess.run([sys.executable, "-c", SENTRY_STATE], cwd=ROOT, env=clean_environment() | PRODUCTION
                            | env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_without_a_dsn_sentry_is_not_even_loaded():
    loaded, state = sentry_state()
    assert loaded == "False" and state.startswith("False ")  # never imported, no active client


def test_with_a_dsn_sentry_starts_with_django_and_celery_and_without_personal_data():
    # Nothing listens on port 9: no event is sent, and starting needs no network.
    loaded, state = sentry_state(SENTRY_DSN="http://public@127.0.0.1:9/1", SENTRY_ENVIRONMENT="staging")
    assert loaded == "True"
    assert state == "True False False never staging ['celery', 'django']"


def test_a_sentry_event_loses_the_query_the_cookies_and_the_body_and_its_numbers_are_masked():
    event = {
        "request": {"url": "https://keshi.example.com/?q=13812345678", "query_string": "q=13812345678",
                    "cookies": {"sessionid": "abc"}, "data": {"mobile": "13812345678"}, "method": "GET"},
        "exception": {"values": [{"type": "IntegrityError", "value": "Key (mobile)=(13812345678) already exists."}]},
        "logentry": {"message": "lookup 13812345678 failed"},
    }  # fmt: skip
    private = _private_event(event, {})
    assert private["request"] == {"url": "https://keshi.example.com/", "method": "GET"}
    assert private["exception"]["values"][0]["value"] == "Key (mobile)=(*******5678) already exists."
    assert private["logentry"]["message"] == "lookup *******5678 failed"
    assert _private_breadcrumb({"message": "SMS to 13812345678"}, {}) == {"message": "SMS to *******5678"}
