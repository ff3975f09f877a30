import pytest
from django.core.management import call_command
from django.urls import reverse

from guests.models import RelatedPerson
from staff.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_has_secretaries_whose_last_four_digits_bring_up_their_boss_on_the_phone_desk(client_for, capsys):
    call_command("seed_demo", guests=40)
    secretary = RelatedPerson.objects.filter(relation="secretary").select_related("guest").first()
    assert secretary is not None and f"type {secretary.phone[-4:]}" in capsys.readouterr().out
    desk = client_for(User.objects.get(username="frontdesk"))
    body = desk.get(reverse("bookings:phone_caller"), {"number": secretary.phone}, HTTP_ACCEPT_LANGUAGE="en")
    assert f"books for {secretary.guest.greeting}" in body.content.decode()


def test_the_demo_has_missed_calls_to_return(client_for):
    call_command("seed_demo", guests=25)
    call_command("seed_demo", guests=25)
    desk = client_for(User.objects.get(username="frontdesk"))
    page = desk.get(reverse("calls:missed"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="missed-call"') == 2
