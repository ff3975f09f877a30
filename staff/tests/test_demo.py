import pytest
from django.core.management import call_command
from django.urls import reverse

from guests.models import Guest
from staff.models import User

pytestmark = pytest.mark.django_db


def test_demo_data_gives_one_user_per_role_and_is_loaded_once(capsys):
    call_command("seed_demo", guests=25)
    call_command("seed_demo", guests=25)
    assert Guest.objects.count() == 25
    staff = User.objects.filter(api_client__isnull=True)  # the demo phone system acts through a user of its own
    assert sorted(u.groups.get().name for u in staff) == ["admin", "front_desk", "manager", "waiter"]
    assert "keshi-demo-2026" in capsys.readouterr().out
    assert Guest.objects.exclude(name_pinyin="").count() == 25
    from visits.models import Visit

    assert Visit.objects.count() > 25  # a history that fits each tier
    assert Guest.objects.filter(last_visit_at__isnull=False).exists()


def test_demo_data_comes_with_a_computed_review_so_the_reports_have_figures(client_for):
    from reports.models import Review

    call_command("seed_demo", guests=25)
    review = Review.objects.get()
    assert review.status == Review.Status.READY and review.lines.count() == 25
    manager = User.objects.get(username="manager")
    response = client_for(manager).get("/reports/vip/", HTTP_ACCEPT_LANGUAGE="en")
    assert "No archive review has been completed yet" not in response.content.decode()


def test_demo_data_shows_a_live_board_today_and_this_week(client_for):
    import datetime

    from django.utils import timezone

    from bookings.models import Booking

    call_command("seed_demo", guests=25)
    call_command("seed_demo", guests=25)  # loaded once
    today = timezone.localdate()
    todays = Booking.objects.filter(date=today)
    assert todays.filter(status=Booking.Status.ARRIVED).count() >= 2
    assert todays.filter(status=Booking.Status.CONFIRMED).exists()
    assert todays.filter(source=Booking.Source.WALK_IN).count() == 1
    assert Booking.objects.filter(status=Booking.Status.TENTATIVE, hold_until__gt=timezone.now()).count() == 1
    no_show = Booking.objects.get(status=Booking.Status.NO_SHOW)
    assert no_show.date == today - datetime.timedelta(days=1)
    assert Booking.objects.filter(date__gt=today, date__lte=today + datetime.timedelta(days=6)).count() >= 12
    board = client_for(User.objects.get(username="frontdesk")).get(
        reverse("bookings:board"), {"outlet": todays.first().outlet_id}
    )
    assert board.status_code == 200 and str(todays.first().guest.honorific) in board.content.decode()
