"""Every URL with every role: no page can ship without saying who may open it."""

import datetime

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "front_desk", "waiter", "manager", "admin_user")
OK, FORBIDDEN, TO_LOGIN = 200, 403, "login"

MANAGERS_ONLY = dict(front_desk=FORBIDDEN, waiter=FORBIDDEN, manager=OK, admin_user=OK)
ALL_STAFF = dict(front_desk=OK, waiter=OK, manager=OK, admin_user=OK)
NOT_WAITER = dict(front_desk=OK, waiter=FORBIDDEN, manager=OK, admin_user=OK)
ADMINS_ONLY = dict(front_desk=FORBIDDEN, waiter=FORBIDDEN, manager=FORBIDDEN, admin_user=OK)
ADMINS_POST_ONLY = dict(front_desk=FORBIDDEN, waiter=FORBIDDEN, manager=FORBIDDEN, admin_user=405)
# POST-only pages: GET is refused with 405 once the permission check has passed.
MANAGERS_POST_ONLY = dict(front_desk=FORBIDDEN, waiter=FORBIDDEN, manager=405, admin_user=405)
# POST-only pages every member of staff may use; who may act on which record is the service's rule.
ALL_STAFF_POST_ONLY = dict(front_desk=405, waiter=405, manager=405, admin_user=405)

# url name → expected status per role; anonymous users are sent to the login page.
EXPECTED = {
    "guests:lookup": ALL_STAFF,
    "guests:create": NOT_WAITER,
    "guests:quick_add": NOT_WAITER,
    "guests:profile": ALL_STAFF,
    "guests:edit": ALL_STAFF,
    "guests:history": MANAGERS_ONLY,
    "guests:merge": MANAGERS_ONLY,
    "guests:anonymise": MANAGERS_ONLY,
    "guests:card_template": ALL_STAFF,
    "guests:card_download": MANAGERS_ONLY,
    "guests:consent_withdraw": ALL_STAFF_POST_ONLY,
    # Everything held about a guest, confidential notes included: managers only, not admins.
    "guests:data_download": dict(front_desk=FORBIDDEN, waiter=FORBIDDEN, manager=OK, admin_user=FORBIDDEN),
    "guests:cards_export": ADMINS_ONLY,
    "guests:register_export": ADMINS_ONLY,
    "guests:card_import": ADMINS_ONLY,
    "guests:card_transfer": ADMINS_ONLY,
    "guests:card_transfer_progress": ADMINS_ONLY,
    "guests:card_transfer_confirm": ADMINS_POST_ONLY,
    "guests:card_transfer_retry": ADMINS_POST_ONLY,
    "visits:create": ALL_STAFF,
    # A visit logged by a manager: only managers may correct it.
    "visits:edit": MANAGERS_ONLY,
    "visits:list": MANAGERS_ONLY,
    "visits:complaint_create": ALL_STAFF,
    "visits:complaints": MANAGERS_ONLY,
    # A complaint assigned to nobody: managers only.
    "visits:complaint": MANAGERS_ONLY,
    "review:list": MANAGERS_ONLY,
    "review:run": MANAGERS_POST_ONLY,
    "review:detail": MANAGERS_ONLY,
    "review:progress": MANAGERS_ONLY,
    "review:decide": MANAGERS_POST_ONLY,
    "review:retry": MANAGERS_POST_ONLY,
    "followups:mine": ALL_STAFF,
    "followups:team": MANAGERS_ONLY,
    "followups:greetings": MANAGERS_ONLY,
    "followups:create": ALL_STAFF,
    "followups:done": ALL_STAFF_POST_ONLY,
    "followups:skip": ALL_STAFF_POST_ONLY,
    "followups:reschedule": ALL_STAFF_POST_ONLY,
    "followups:reassign": ALL_STAFF_POST_ONLY,
    "reports:index": MANAGERS_ONLY,
    "reports:vip": MANAGERS_ONLY,
    "reports:booking_sources": MANAGERS_ONLY,
    "reports:booking_outcomes": MANAGERS_ONLY,
    "reports:room_utilisation": MANAGERS_ONLY,
    "reports:booked_walk_in_covers": MANAGERS_ONLY,
    "reports:at_risk": MANAGERS_ONLY,
    "reports:birthdays": MANAGERS_ONLY,
    "reports:top_spenders": MANAGERS_ONLY,
    "reports:developed": MANAGERS_ONLY,
    "reports:complaints": MANAGERS_ONLY,
    "reports:meal_weekday": MANAGERS_ONLY,
    "reports:spend_by_tier": MANAGERS_ONLY,
    # bookings
    "bookings:board": ALL_STAFF,
    "bookings:week": ALL_STAFF,
    "bookings:create": NOT_WAITER,
    "bookings:phone": NOT_WAITER,
    "bookings:phone_caller": NOT_WAITER,
    "bookings:phone_rooms": NOT_WAITER,
    "bookings:detail": ALL_STAFF,
    "bookings:edit": NOT_WAITER,
    "bookings:confirm": dict(front_desk=405, waiter=FORBIDDEN, manager=405, admin_user=405),
    "bookings:arrive": ALL_STAFF_POST_ONLY,
    "bookings:cancel": dict(front_desk=405, waiter=FORBIDDEN, manager=405, admin_user=405),
    "bookings:no_show": dict(front_desk=405, waiter=FORBIDDEN, manager=405, admin_user=405),
    "staff:setup": ADMINS_ONLY,
    # service sheet
    "service:sheet": ALL_STAFF,
    "service:sheet_xlsx": ALL_STAFF,
    "service:kitchen": ALL_STAFF,
    # the day of service and the waiting list (a confirmed booking cannot be completed yet: 409)
    "service:floor": ALL_STAFF,
    "service:walk_in": ALL_STAFF,
    "service:floor_arrive": ALL_STAFF_POST_ONLY,
    "bookings:complete": dict(front_desk=409, waiter=409, manager=409, admin_user=409),
    "bookings:waiting": NOT_WAITER,
    "bookings:waiting_move": ALL_STAFF_POST_ONLY,
    "bookings:waiting_match": NOT_WAITER,
    # the POS's bills nobody could be matched to
    "visits:unmatched_bills": NOT_WAITER,
    "visits:bill_link": dict(front_desk=405, waiter=FORBIDDEN, manager=405, admin_user=405),
    "visits:bill_dismiss": dict(front_desk=405, waiter=FORBIDDEN, manager=405, admin_user=405),
    # the phone system's calls at the desk (a poll without its position is refused: 400)
    "calls:latest": dict(front_desk=400, waiter=FORBIDDEN, manager=400, admin_user=400),
    "calls:missed": NOT_WAITER,
    "calls:called_back": dict(front_desk=405, waiter=FORBIDDEN, manager=405, admin_user=405),
    "password_change": ALL_STAFF,
    "password_change_done": ALL_STAFF,
}
# Excel downloads of the reports: the same pages with ?format=xlsx, the same roles.
DOWNLOADS = [name for name in EXPECTED if name.startswith("reports:") and name != "reports:index"]
# Reached without logging in, on purpose.
PUBLIC = {"login", "set_language", "health", "api_schema", "api_docs"}


def named_patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):  # the API has its own key x scope matrix (crm/tests/test_api.py)
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", pattern


def test_every_url_pattern_is_in_the_role_matrix():
    names = {name for name, _ in named_patterns()}
    assert names - set(EXPECTED) - PUBLIC - {"logout"} == set()


# What the records of `objects` hold: no refusal may carry any of it.
SECRETS = {
    "name": "欧阳泄露", "honorific": "欧阳董", "mobile": "13987654321", "company": "泄露测试集团有限公司",
    "followup": "跟进备注泄露9981", "complaint": "投诉内容泄露5532", "visit": "消费备注泄露4471",
    "file": "泄露名单.xlsx",
}  # fmt: skip


@pytest.fixture
def objects(manager):
    """One of each record a URL can point at, keyed by the app of the URL, with texts found nowhere else."""
    from bookings.tests.factories import book
    from followups.tests.factories import followup
    from visits.complaints import complaint_record
    from visits.tests.factories import record_visit

    guest = GuestFactory(name=SECRETS["name"], honorific=SECRETS["honorific"], mobile=SECRETS["mobile"],
                         company=SECRETS["company"])  # fmt: skip
    complaint = complaint_record(actor=manager, guest=guest,
                                 fields={"category": "food", "description": SECRETS["complaint"]})  # fmt: skip
    from reports.models import Review

    review = Review.objects.create(period="2026-11", as_of="2026-11-22", status="ready")
    from guests.models import CardTransfer

    transfer = CardTransfer.objects.create(kind="import", status="checked", actor=manager, file_name=SECRETS["file"])
    from calls.services import call_record
    from staff.clients import api_client_create

    phone_system, _key = api_client_create(actor=None, name="总机", kind="phone", scopes=["calls:write"])
    call, _new = call_record(client=phone_system, number=SECRETS["mobile"], answered=False)
    return {"guests:card_transfer": transfer, "guests:card_transfer_progress": transfer,
            "guests:card_transfer_confirm": transfer, "guests:card_transfer_retry": transfer, "guests": guest,
            "visits": record_visit(guest, manager, notes=SECRETS["visit"]), "guest": guest, "visits:complaint": complaint,
            "review": review, "followups": followup(guest, manager, note=SECRETS["followup"]), "reports": review,
            "bookings": (booking := book(manager, guest, special_requests=SECRETS["company"])), "manager": manager,
            "calls": call, "service": booking}  # fmt: skip


def url_for(name, pattern, objects):
    target = objects.get(name) or objects.get(name.split(":")[0])  # None: a URL without a record
    kwargs = {key: (objects["guest"] if key == "guest_pk" else target).pk for key in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_role_matrix(request, client, objects, role, name):
    pattern = dict(named_patterns())[name]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role), backend="staff.backends.CachedPermissionBackend")
    response = client.get(url_for(name, pattern, objects))
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == EXPECTED[name][role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", DOWNLOADS)
def test_report_downloads_follow_the_role_matrix(request, client, objects, role, name):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role), backend="staff.backends.CachedPermissionBackend")
    response = client.get(reverse(name), {"format": "xlsx"})
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == EXPECTED[name][role]
        if response.status_code == OK:
            assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_anonymous_posts_are_sent_to_login_too(client, objects, name):
    response = client.post(url_for(name, dict(named_patterns())[name], objects), {})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_login_page_is_the_only_page_an_anonymous_user_sees(client):
    assert client.get(reverse("login")).status_code == 200


def admin_urls():
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    return urls


@pytest.mark.parametrize("role", ["anonymous", "front_desk", "waiter", "manager"])
def test_only_admins_reach_the_django_admin(request, client, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role), backend="staff.backends.CachedPermissionBackend")
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302 and "login/" in response.url, url


def test_admins_reach_every_admin_page_they_hold_permissions_for(client, admin_user):
    client.force_login(admin_user, backend="staff.backends.CachedPermissionBackend")
    for url in admin_urls():
        response = client.get(url)
        if response.status_code == 302:  # a settings row's list opens the one row (SettingsRowAdmin)
            assert response.url.startswith(url) and response.url.endswith("/change/"), url
            response = client.get(response.url)
        assert response.status_code in (200, 403), url
    assert client.get(reverse("admin:guests_guest_changelist")).status_code == 200
    assert client.get(reverse("admin:staff_user_changelist")).status_code == 200


def test_logout_is_a_post(client, front_desk):
    client.force_login(front_desk, backend="staff.backends.CachedPermissionBackend")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("guests:lookup")).status_code == 302


# ---- refusals carry the message, never the record --------------------------------------

STAFF = ("front_desk", "waiter", "manager", "admin_user")
HTMX = {"HTTP_HX_REQUEST": "true"}
FOLLOWUP_ACTIONS = ("followups:done", "followups:skip", "followups:reschedule", "followups:reassign")


def plausible_post(objects) -> dict:
    """Values every action form accepts, so a POST reaches the permission check past the form's."""
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    return {"outcome": "客人满意", "due_on": tomorrow.isoformat(), "owner": str(objects["manager"].pk),
            "next": reverse("followups:mine"), "reason": "客人要求", "confirm": "on"}  # fmt: skip


def as_fresh_login(client, user):
    """The client logged in anew: no message queued by an earlier request shows on the next page."""
    client.cookies.clear()
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_refusal_carries_the_data_of_the_record_asked_for(request, client, objects, role, name):
    user = request.getfixturevalue(role)
    url = url_for(name, dict(named_patterns())[name], objects)
    attempts = [("GET", {}, {}), ("GET", {}, HTMX), ("POST", {}, {}), ("POST", {}, HTMX),
                ("POST", plausible_post(objects), {}), ("POST", plausible_post(objects), HTMX)]  # fmt: skip
    for method, data, headers in attempts:
        send = as_fresh_login(client, user).get if method == "GET" else as_fresh_login(client, user).post
        response = send(url, data, **headers)
        if response.status_code in (403, 404):
            body = response.content.decode()
            leaked = [key for key, text in SECRETS.items() if text in body]
            assert not leaked, (method, bool(headers), response.status_code, leaked)


@pytest.mark.parametrize("role", ["front_desk", "waiter"])
@pytest.mark.parametrize("name", FOLLOWUP_ACTIONS)
def test_staff_acting_on_someone_elses_follow_up_get_the_message_alone(request, client, objects, role, name):
    from followups.models import FollowUp

    user = request.getfixturevalue(role)
    url = url_for(name, dict(named_patterns())[name], objects)
    for data in (plausible_post(objects), {}):  # a form the service would refuse is not answered with the row
        response = as_fresh_login(client, user).post(url, data, HTTP_ACCEPT_LANGUAGE="en", **HTMX)
        assert response.status_code == 403
        body = response.content.decode()
        assert "may" in body and 'data-testid="row-error"' in body
        assert "<form" not in body and not [key for key, text in SECRETS.items() if text in body]
        page = as_fresh_login(client, user).post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 403 and 'data-testid="refusal">Only' in page.content.decode()
    followup = FollowUp.objects.get(pk=objects["followups"].pk)
    assert (followup.status, followup.owner, followup.outcome) == (FollowUp.Status.OPEN, objects["manager"], "")


@pytest.mark.parametrize("name", FOLLOWUP_ACTIONS)
def test_the_owner_of_a_follow_up_still_gets_the_row_back(client, objects, name):
    manager = objects["manager"]
    url = url_for(name, dict(named_patterns())[name], objects)
    response = as_fresh_login(client, manager).post(url, plausible_post(objects), **HTMX)
    assert response.status_code == 200 and SECRETS["followup"] in response.content.decode()
