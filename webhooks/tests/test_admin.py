"""Admins subscribe a client's receiver (only a client holding the webhooks scope), see its secret once,
rotate it, read the delivery log with its attempts, and replay deliveries with the same event ids."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from conftest import make_user
from guests.services import guest_update
from guests.tests.factories import GuestFactory
from webhooks.delivery import deliveries_send_due
from webhooks.models import Delivery, Subscription
from webhooks.signing import verify_signature

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_subscription_add")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")


@pytest.fixture
def superuser(db):
    return make_user("root", None, is_staff=True, is_superuser=True)


@pytest.fixture
def client_for(client_for):
    """Pages in English, whose words the tests read."""

    def login(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


@pytest.fixture
def guest(db):
    return GuestFactory()


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_admin_subscribes_a_webhooks_client_and_sees_the_secret_once(client_for, superuser, api_key):
    machine = api_key("webhooks").client
    other = api_key("guests:read").client
    client = client_for(superuser)
    form = client.get(ADD).content.decode()
    assert f'<option value="{machine.pk}">' in form and f'<option value="{other.pk}">' not in form
    response = client.post(ADD, {"client": machine.pk, "url": "https://pos.example.com/hook",
                                 "events": ["booking.created", "booking.cancelled"]})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = Subscription.objects.get()
    assert (subscription.client, subscription.created_by, subscription.events) == (
        machine, superuser, ["booking.created", "booking.cancelled"])  # fmt: skip
    assert subscription.secret in client.get(response.url).content.decode()  # the page after saving, once
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk])).content.decode()
    assert subscription.secret not in page and f"whsec_…{subscription.secret[-4:]}" in page
    assert subscription.secret not in client.get(reverse("admin:webhooks_subscription_changelist")).content.decode()


def test_a_client_without_the_webhooks_scope_is_refused_with_a_clear_message(client_for, superuser, api_key):
    machine = api_key("guests:read").client
    response = client_for(superuser).post(ADD, {"client": machine.pk, "url": "https://pos.example.com/hook",
                                                "events": ["guest.updated"]})  # fmt: skip
    assert response.status_code == 200 and not Subscription.objects.exists()
    assert "holds the scope “Receive webhooks”" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "local_http", "allowed"),
    [("https://pos.example.com/hook", False, True), ("http://pos.example.com/hook", True, False),
     ("http://127.0.0.1:8080/hook", True, True), ("http://127.0.0.1:8080/hook", False, False),
     ("https://user:pw@pos.example.com/hook", False, False), ("ftp://pos.example.com/hook", False, False)],
)  # fmt: skip
def test_only_https_addresses_are_taken_and_plain_http_only_to_this_machine_in_development(
    client_for, superuser, api_key, settings, url, local_http, allowed
):
    settings.KESHI_WEBHOOKS_LOCAL_HTTP = local_http
    machine = api_key("webhooks").client
    response = client_for(superuser).post(ADD, {"client": machine.pk, "url": url, "events": ["guest.updated"]})
    assert Subscription.objects.exists() == allowed
    if not allowed:
        assert response.status_code == 200
        page = response.content.decode()
        assert "must start with https://" in page or "no user name or password" in page or "valid URL" in page


def test_no_event_chosen_is_refused(client_for, superuser, api_key):
    machine = api_key("webhooks").client
    response = client_for(superuser).post(ADD, {"client": machine.pk, "url": "https://pos.example.com/hook"})
    assert response.status_code == 200 and not Subscription.objects.exists()


def test_rotating_the_secret_shows_the_new_one_once_and_signs_the_next_delivery_with_it(
    client_for, superuser, subscribe, receiver, guest, manager
):
    subscription = subscribe(receiver.url, "guest.updated")
    old = subscription.secret
    response = client_for(superuser).post(reverse("admin:webhooks_subscription_changelist"),
                                          {"action": "rotate_secret", "_selected_action": [subscription.pk]})  # fmt: skip
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret_rotated_at
    assert any(subscription.secret in message for message in said(response))
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    deliveries_send_due()
    [sent] = receiver.requests
    headers = sent["headers"]
    assert verify_signature(subscription.secret, headers["KeShi-Timestamp"], sent["body"], headers["KeShi-Signature"])
    assert not verify_signature(old, headers["KeShi-Timestamp"], sent["body"], headers["KeShi-Signature"])


def test_the_delivery_log_lists_filters_and_shows_each_attempt_read_only(client_for, superuser, subscribe, receiver,
                                                                         guest, manager):  # fmt: skip
    subscribe(receiver.url, "guest.updated")
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    receiver.answers.append(503)
    deliveries_send_due()
    delivery = Delivery.objects.get()
    client = client_for(superuser)
    row = reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    for query in ("", "?status__exact=pending", "?event__type=guest.updated",
                  f"?subscription__id__exact={delivery.subscription_id}"):  # fmt: skip
        page = client.get(DELIVERIES + query)
        assert page.status_code == 200 and row in page.content.decode(), query
    for query in ("?status__exact=delivered", "?event__type=visit.recorded",
                  f"?subscription__id__exact={delivery.subscription_id + 1}"):  # fmt: skip
        assert row not in client.get(DELIVERIES + query).content.decode(), query
    detail = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).content.decode()
    assert str(delivery.event_id) in detail and "503 Service Unavailable" in detail and guest.card_no in detail
    assert 'name="_save"' not in detail and not Delivery.objects.exclude(pk=delivery.pk).exists()


def test_replay_from_the_admin_posts_the_event_again_with_the_same_id_and_records_who(
    client_for, superuser, subscribe, receiver, guest, manager
):
    subscribe(receiver.url, "guest.updated")
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    deliveries_send_due()
    first = Delivery.objects.get()
    assert first.status == "delivered"
    response = client_for(superuser).post(DELIVERIES, {"action": "replay", "_selected_action": [first.pk]})
    assert response.status_code == 302 and said(response) == ["1 delivery queued again."]
    replay = Delivery.objects.exclude(pk=first.pk).get()
    assert (replay.status, replay.replay_of, replay.replayed_by, replay.event_id) == (
        "pending", first, superuser, first.event_id)  # fmt: skip
    deliveries_send_due()
    replay.refresh_from_db()
    assert replay.status == "delivered"
    assert receiver.event_ids == [str(first.event_id)] * 2
    first.refresh_from_db()
    assert (first.status, first.attempt_log.count()) == ("delivered", 1)  # the original's log is kept as it was


def test_a_delivery_still_queued_or_whose_subscription_is_off_is_not_replayed_and_the_admin_is_told(
    client_for, superuser, subscribe, guest, manager
):
    subscription = subscribe("https://pos.example.com/hook", "guest.updated")
    guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    pending = Delivery.objects.get()
    client = client_for(superuser)
    response = client.post(DELIVERIES, {"action": "replay", "_selected_action": [pending.pk]})
    assert said(response) == [f"Not replayed, it is queued already: {pending}"]
    Delivery.objects.update(status="failed")
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
    response = client.post(DELIVERIES, {"action": "replay", "_selected_action": [pending.pk]})
    assert said(response)[-1] == f"Not replayed, its subscription is switched off: {pending}"
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize("role", ["front_desk", "waiter", "manager"])
def test_other_roles_do_not_reach_the_webhooks_admin(request, client_for, role):
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    client = client_for(user)
    assert client.get(DELIVERIES).status_code == 403
    assert client.get(reverse("admin:webhooks_subscription_changelist")).status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_the_delivery_log_takes_the_same_few_queries_for_any_number_of_deliveries_and_subscriptions(
    client_for, superuser, subscribe, manager, count, django_assert_max_num_queries
):
    guests = [GuestFactory() for _ in range(count)]
    for n in range(count):
        subscribe(f"https://pos{n}.example.com/hook", "guest.updated")
    for guest in guests:
        guest_update(guest=guest, actor=manager, fields={"company": "华为"})
    client = client_for(superuser)
    client.get(DELIVERIES)  # the session and permissions, cached
    with django_assert_max_num_queries(12):
        assert client.get(DELIVERIES).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("admin:webhooks_subscription_changelist")).status_code == 200
