"""The managers' reports: figures on small crafted archives, filters, and the Excel downloads."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.db.models import Count, F, Sum
from django.db.models.functions import ExtractIsoWeekDay, TruncMonth
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from followups.models import FollowUp
from followups.tests.factories import followup
from guests.dates import to_lunar
from guests.models import Guest
from guests.services import guest_anonymise, guest_update
from guests.tests.factories import GuestFactory
from reports import views
from reports.models import Review, ReviewLine
from visits.complaints import complaint_record
from visits.filters import start_of_day
from visits.models import Complaint, Visit
from visits.services import visit_correct
from visits.tests.factories import outlet, record_visit

pytestmark = pytest.mark.django_db


def line(review, guest, **fields):
    values = {"visits_12m": 1, "spend_12m": Decimal("0"), "visits_prev": 0, "spend_prev": Decimal("0"),
              "open_complaints": 0, "tier": guest.tier, "proposed_tier": guest.tier}  # fmt: skip
    return ReviewLine.objects.create(review=review, guest=guest, **(values | fields))


def ready_review(**fields):
    values = {"period": "2026-11", "as_of": timezone.localdate(), "status": "ready",
              "thresholds": {"at_risk_days": 60}}  # fmt: skip
    return Review.objects.create(**(values | fields))


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[cell.value for cell in row] for row in book.active.iter_rows()], book.active


def names(response):
    return [row["guest"] for row in response.context["rows"]]


# Index, navigation and language


def test_managers_find_every_report_on_the_reports_page(client_for, manager):
    response = client_for(manager).get(reverse("reports:index"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    for title in ("VIP guests", "At-risk guests", "Birthdays", "Top spenders", "New guests developed",
                  "Complaints by category, status and outlet", "Visits by meal period and weekday", "Spend by tier"):  # fmt: skip
        assert title in html
    assert reverse("reports:meal_weekday") in html


def test_the_reports_link_is_in_the_menu_of_managers_only(client_for, manager, front_desk):
    assert 'data-testid="nav-reports"' in client_for(manager).get(reverse("guests:lookup")).content.decode()
    assert 'data-testid="nav-reports"' not in client_for(front_desk).get(reverse("guests:lookup")).content.decode()


def test_report_pages_speak_chinese_by_default(client_for, manager):
    response = client_for(manager).get(reverse("reports:vip"))
    assert response.status_code == 200 and response.headers["Content-Language"] == "zh-hans"


# VIP list


@pytest.fixture
def vips(manager, waiter):
    review = ready_review()
    big = GuestFactory(name="李大", tier="A", owner=manager)
    small = GuestFactory(name="王小", tier="A")
    b_guest = GuestFactory(name="赵乙", tier="B", owner=manager)
    line(review, big, spend_12m=Decimal("90000"), visits_12m=12)
    line(review, small, spend_12m=Decimal("50000"), visits_12m=5)
    line(review, b_guest, spend_12m=Decimal("150000"), visits_12m=20)
    record_visit(small, waiter, days_ago=100)
    record_visit(big, waiter, days_ago=3)
    # Guests of long standing: last seen at their last visit, not at their creation.
    Guest.objects.filter(last_visit_at__isnull=False).update(last_seen_at=F("last_visit_at"))
    FollowUp.objects.all().delete()
    followup(big, manager)
    followup(big, manager, status=FollowUp.Status.RESCHEDULED)
    followup(big, manager, status=FollowUp.Status.DONE)
    return {"review": review, "big": big, "small": small, "b": b_guest}


def test_vip_list_shows_a_guests_by_12_month_spend_with_owner_and_open_followups(client_for, manager, vips):
    response = client_for(manager).get(reverse("reports:vip"), {"order": "spend"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = response.context["rows"]
    assert names(response) == ["李大", "王小"]
    assert rows[0]["spend_12m"] == Decimal("90000") and rows[0]["visits_12m"] == 12
    assert rows[0]["owner"] == "王" and rows[1]["owner"] == ""
    assert rows[0]["open_followups"] == 2 and rows[1]["open_followups"] == 0
    assert rows[0]["last_visit"] == Guest.objects.get(pk=vips["big"].pk).last_visit_at
    html = response.content.decode()
    assert "12-month figures as of" in html and vips["review"].as_of.isoformat() in html


def test_vip_list_filters_by_owner_and_by_time_without_a_visit(client_for, manager, vips):
    client = client_for(manager)
    assert names(client.get(reverse("reports:vip"), {"owner": manager.pk})) == ["李大"]
    assert names(client.get(reverse("reports:vip"), {"not_seen": 60})) == ["王小"]
    assert names(client.get(reverse("reports:vip"), {"order": "silent"})) == ["王小", "李大"]


def test_the_vip_form_submitted_with_no_visit_for_left_empty_keeps_recent_guests(client_for, manager, vips):
    # The form as a browser submits it after the manager picks only an owner.
    client = client_for(manager)
    response = client.get(
        reverse("reports:vip"), {"owner": manager.pk, "not_seen": "", "spend_min": "", "order": "recent"}
    )
    assert names(response) == ["李大"]
    assert '<option value="" selected>' in response.content.decode()


def test_vip_list_reads_the_latest_ready_review(client_for, manager, vips):
    newer = ready_review(period="2027-01", as_of=vips["review"].as_of + datetime.timedelta(days=60))
    line(newer, vips["small"], spend_12m=Decimal("120000"))
    Review.objects.create(period="2027-03", as_of=newer.as_of + datetime.timedelta(days=60), status="running")
    response = client_for(manager).get(reverse("reports:vip"))
    assert response.context["review"] == newer and names(response) == ["王小"]


def test_without_a_review_the_vip_list_says_so_and_links_to_the_review(client_for, manager):
    response = client_for(manager).get(reverse("reports:vip"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="no-review"' in html
    assert reverse("review:list") in html and response.context["rows"] == []


def test_the_vip_download_holds_exactly_the_filtered_rows(client_for, manager, vips):
    response = client_for(manager).get(reverse("reports:vip"), {"owner": manager.pk, "format": "xlsx"},
                                       HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    rows, sheet = workbook_rows(response)
    assert rows[0] == ["Card no.", "Guest", "Company", "Mobile", "Owner", "Last visit", "Visits, 12 months",
                       "Spend, 12 months", "Open follow-ups"]  # fmt: skip
    assert sheet["A1"].font.b
    big = Guest.objects.get(pk=vips["big"].pk)
    assert rows[1:] == [[big.card_no, "李大", big.company, big.mobile, "王",
                         timezone.localtime(big.last_visit_at).replace(tzinfo=None, microsecond=0), 12, 90000, 2]]  # fmt: skip


def test_download_headers_follow_the_language(client_for, manager, vips):
    rows, _sheet = workbook_rows(client_for(manager).get(reverse("reports:vip"), {"format": "xlsx"}))
    with translation.override("zh-hans"):
        assert rows[0][:2] == [gettext("Card no."), gettext("Guest")]
    assert len(rows) == 3


def test_text_that_looks_like_a_formula_is_downloaded_as_text(client_for, manager, vips):
    guest = GuestFactory(name="=1+1", tier="A", mobile="+85291234567", company="@SUM(A1)")
    line(vips["review"], guest, spend_12m=Decimal("999999"))
    rows, sheet = workbook_rows(client_for(manager).get(reverse("reports:vip"), {"format": "xlsx"}))
    assert rows[1][1:4] == ["=1+1", "@SUM(A1)", "+85291234567"]
    assert [sheet.cell(row=2, column=col).data_type for col in (2, 3, 4)] == ["s", "s", "s"]


def test_a_download_larger_than_the_cap_is_refused_with_a_message(client_for, manager, vips, monkeypatch):
    monkeypatch.setattr(views, "MAX_ROWS", 1)
    monkeypatch.setattr(views, "EXPORT_CHUNK", 1)
    client = client_for(manager)
    response = client.get(reverse("reports:vip"), {"format": "xlsx", "order": "spend"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == reverse("reports:vip") + "?order=spend"
    assert "narrow the filters" in client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_every_report_download_is_written_to_the_audit_log_with_who_what_and_how_many(client_for, manager, vips):
    from staff.models import AuditEvent

    client_for(manager).get(reverse("reports:vip"), {"owner": manager.pk, "format": "xlsx", "page": "2"})
    event = AuditEvent.objects.get(action=AuditEvent.Action.REPORT_DOWNLOADED)
    assert (event.actor, event.target) == (manager, "vip")
    assert event.details == {"rows": 1, "filters": {"owner": str(manager.pk)}}


def test_a_refused_download_writes_nothing_to_the_audit_log(client_for, manager, vips, monkeypatch):
    from staff.models import AuditEvent

    monkeypatch.setattr(views, "MAX_ROWS", 1)
    monkeypatch.setattr(views, "EXPORT_CHUNK", 1)
    client_for(manager).get(reverse("reports:vip"), {"format": "xlsx"})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REPORT_DOWNLOADED).exists()


def test_the_vip_list_pages_without_counting(client_for, manager, vips, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    client = client_for(manager)
    first = client.get(reverse("reports:vip"))
    assert names(first) == ["李大"] and first.context["page"]["next"]
    second = client.get(reverse("reports:vip"), {"page": 2})
    assert names(second) == ["王小"] and second.context["page"]["next"] is None


# At-risk list


@pytest.fixture
def at_risk(manager):
    review = ready_review()
    as_of = timezone.make_aware(datetime.datetime.combine(review.as_of, datetime.time(12)))
    falling = GuestFactory(name="钱降", tier="A", owner=manager)
    silent = GuestFactory(name="孙静", tier="B")
    unhappy = GuestFactory(name="周怨", tier="B")
    fine = GuestFactory(name="吴好", tier="A")
    line(review, falling, at_risk=True, declining=True, spend_12m=Decimal("40000"), spend_prev=Decimal("100000"),
         last_visit_at=as_of - datetime.timedelta(days=10))  # fmt: skip
    line(review, silent, at_risk=True, spend_12m=Decimal("20000"), spend_prev=Decimal("25000"),
         last_visit_at=as_of - datetime.timedelta(days=90))  # fmt: skip
    line(review, unhappy, at_risk=True, open_complaints=2, spend_12m=Decimal("30000"), spend_prev=Decimal("20000"),
         last_visit_at=as_of - datetime.timedelta(days=5))  # fmt: skip
    line(review, fine, spend_12m=Decimal("120000"), spend_prev=Decimal("100000"))
    return review


def test_at_risk_list_shows_the_flagged_guests_biggest_stake_first_with_the_reasons(client_for, manager, at_risk):
    response = client_for(manager).get(reverse("reports:at_risk"), HTTP_ACCEPT_LANGUAGE="en")
    rows = response.context["rows"]
    assert names(response) == ["钱降", "孙静", "周怨"]
    assert rows[0]["change"] == Decimal("-60.0") and rows[0]["reasons"] == "Spend falling"
    assert rows[1]["reasons"] == "No recent visit" and rows[2]["reasons"] == "Open complaints"
    assert rows[0]["owner"] == "王"


def test_at_risk_list_filters_by_reason_and_tier(client_for, manager, at_risk):
    client = client_for(manager)
    assert names(client.get(reverse("reports:at_risk"), {"reason": "declining"})) == ["钱降"]
    assert names(client.get(reverse("reports:at_risk"), {"reason": "silent"})) == ["孙静"]
    assert names(client.get(reverse("reports:at_risk"), {"reason": "complaints"})) == ["周怨"]
    assert names(client.get(reverse("reports:at_risk"), {"tier": "B", "order": "spend"})) == ["周怨", "孙静"]


def test_a_lost_guest_stays_on_the_at_risk_list_marked_lost_until_a_manager_changes_the_tier(
    client_for, manager, at_risk
):
    as_of = timezone.make_aware(datetime.datetime.combine(at_risk.as_of, datetime.time(12)))
    gone = GuestFactory(name="郑走", tier="A", mobile="13000000041")
    line(at_risk, gone, at_risk=True, lost=True, open_complaints=1, spend_12m=Decimal("0"),
         spend_prev=Decimal("80000"), last_visit_at=as_of - datetime.timedelta(days=200))  # fmt: skip
    client = client_for(manager)
    response = client.get(reverse("reports:at_risk"), HTTP_ACCEPT_LANGUAGE="en")
    assert "郑走" in names(response)
    [row] = [row for row in response.context["rows"] if row["guest_id"] == gone.pk]
    assert row["reasons"] == "Lost、No recent visit、Open complaints"
    assert names(client.get(reverse("reports:at_risk"), {"reason": "lost"})) == ["郑走"]
    guest_update(guest=gone, actor=manager, fields={"tier": "C"}, reason="不再是重要客户")
    assert "郑走" not in names(client.get(reverse("reports:at_risk")))


def test_the_at_risk_download_holds_exactly_the_filtered_rows(client_for, manager, at_risk):
    response = client_for(manager).get(reverse("reports:at_risk"), {"tier": "B", "format": "xlsx"})
    rows, _sheet = workbook_rows(response)
    assert [row[1] for row in rows[1:]] == ["孙静", "周怨"]
    assert rows[1][5:9] == [25000, 20000, -20, 0]


# Birthdays

TODAY = datetime.date(2026, 11, 18)  # a Wednesday: the week is 16–22 November


@pytest.fixture
def birthdays(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    _year, month, day, leap = to_lunar(datetime.date(2026, 11, 20))
    GuestFactory(name="阳今天", birth_month=11, birth_day=18)
    GuestFactory(name="阴周五", birth_month=month, birth_day=day, birthday_lunar=True, birthday_leap_month=leap,
                 tier="A")  # fmt: skip
    GuestFactory(name="阳月底", birth_month=11, birth_day=28)
    GuestFactory(name="阳圣诞", birth_month=12, birth_day=25)
    GuestFactory(name="无生日")


def test_birthdays_this_week_include_lunar_birthdays_on_the_day_they_fall(client_for, manager, birthdays):
    response = client_for(manager).get(reverse("reports:birthdays"))
    rows = response.context["rows"]
    assert names(response) == ["阳今天", "阴周五"]
    assert [row["falls_on"] for row in rows] == [TODAY, datetime.date(2026, 11, 20)]
    assert response.context["window"] == (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))


def test_birthdays_this_month_and_by_tier(client_for, manager, birthdays):
    client = client_for(manager)
    assert names(client.get(reverse("reports:birthdays"), {"window": "month"})) == ["阳今天", "阴周五", "阳月底"]
    assert names(client.get(reverse("reports:birthdays"), {"window": "month", "tier": "A"})) == ["阴周五"]


def test_birthdays_filter_by_owner_and_consent_to_greetings(client_for, manager, birthdays):
    Guest.objects.filter(name="阳月底").update(owner=manager, greeting_consent=True)
    client = client_for(manager)
    assert names(client.get(reverse("reports:birthdays"), {"window": "month", "owner": manager.pk})) == ["阳月底"]
    consenting = client.get(reverse("reports:birthdays"), {"window": "month", "greeting_consent": True})
    assert names(consenting) == ["阳月底"] and consenting.context["rows"][0]["consent"] == gettext("Yes")


def test_the_birthday_list_pages_by_the_day_then_tier_without_counting(client_for, manager, birthdays, monkeypatch):
    GuestFactory(name="甲今天", birth_month=11, birth_day=18, tier="A")
    GuestFactory(name="乙今天", birth_month=11, birth_day=18, tier="B")
    monkeypatch.setattr(views, "PER_PAGE", 2)
    client = client_for(manager)
    pages = [client.get(reverse("reports:birthdays"), {"page": n}) for n in (1, 2)]
    assert [names(page) for page in pages] == [["甲今天", "乙今天"], ["阳今天", "阴周五"]]
    assert pages[0].context["page"]["next"] and pages[1].context["page"]["next"] is None


def test_an_anonymised_guest_has_no_birthday_in_the_list(client_for, manager, birthdays):
    guest_anonymise(guest=Guest.objects.get(name="阳今天"), actor=manager, reason="guest_request")
    assert names(client_for(manager).get(reverse("reports:birthdays"))) == ["阴周五"]


def test_the_birthday_download_holds_exactly_the_filtered_rows(client_for, manager, birthdays):
    response = client_for(manager).get(reverse("reports:birthdays"), {"window": "month", "format": "xlsx"})
    rows, _sheet = workbook_rows(response)
    assert [row[3] for row in rows[1:]] == ["阳今天", "阴周五", "阳月底"]
    assert rows[1][0] == datetime.datetime(2026, 11, 18) and rows[1][1] == "11/18"


# Top spenders


@pytest.fixture
def spenders(waiter):
    hall = outlet("宴会厅")
    regular = GuestFactory(name="常客", tier="B")
    for days in (1, 2, 3):
        record_visit(regular, waiter, days_ago=days, spend="1000.00")
    banquet = GuestFactory(name="宴客", tier="A")
    record_visit(banquet, waiter, days_ago=2, spend="5000.00", outlet=hall)
    earlier = GuestFactory(name="旧客", tier="A")
    record_visit(earlier, waiter, days_ago=60, spend="9000.00")
    return {"regular": regular, "banquet": banquet, "earlier": earlier, "hall": hall}


def test_top_spenders_over_12_months_come_from_the_review(client_for, manager, spenders):
    review = ready_review()
    line(review, spenders["regular"], spend_12m=Decimal("3000"), visits_12m=3)
    line(review, spenders["earlier"], spend_12m=Decimal("9000"), visits_12m=1)
    response = client_for(manager).get(reverse("reports:top_spenders"))
    assert names(response) == ["旧客", "常客"] and response.context["rows"][0]["rank"] == 1
    assert not response.context["live"] and response.context["chart"]["labels"] == ["旧客", "常客"]


def test_top_spenders_by_period_and_outlet_are_summed_live(client_for, manager, spenders):
    client = client_for(manager)
    week = {"date_from": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()}
    response = client.get(reverse("reports:top_spenders"), week)
    rows = response.context["rows"]
    assert response.context["live"] and names(response) == ["宴客", "常客"]
    assert rows[1]["spend"] == Decimal("3000") and rows[1]["visits"] == 3
    assert names(client.get(reverse("reports:top_spenders"), week | {"outlet": spenders["hall"].pk})) == ["宴客"]
    assert names(client.get(reverse("reports:top_spenders"), week | {"tier": "B"})) == ["常客"]


def test_the_top_spender_download_holds_exactly_the_filtered_rows(client_for, manager, spenders):
    week = {"date_from": (timezone.localdate() - datetime.timedelta(days=7)).isoformat(), "format": "xlsx"}
    rows, _sheet = workbook_rows(client_for(manager).get(reverse("reports:top_spenders"), week))
    assert [(row[0], row[2], row[6], row[7]) for row in rows[1:]] == [(1, "宴客", 1, 5000), (2, "常客", 3, 3000)]


# New guests developed per staff member


def month_ago(months: int) -> datetime.datetime:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months
    return timezone.make_aware(datetime.datetime(index // 12, index % 12 + 1, 15, 19))


@pytest.fixture
def developed(manager, front_desk, waiter):
    """Each guest's owner is the member of staff who developed them; whoever typed the record
    gets no credit. Developed: spending in two consecutive calendar months, the first visit's
    month included."""

    def guest(name, creator, owner, months, spend="800.00"):
        created = GuestFactory(name=name, actor=creator)
        Guest.objects.filter(pk=created.pk).update(owner=owner)
        for months_ago in months:
            record_visit(created, waiter, at=month_ago(months_ago), spend=spend)
        return created

    guest("两月连", manager, manager, [5, 3, 2])  # March + April after a first visit in January
    guest("首月连", manager, manager, [4, 3])  # the first visit's month and the next: developed
    guest("隔月来", manager, manager, [4, 2])  # two months, not consecutive
    guest("没花钱", manager, manager, [3, 2], spend="0")  # came, spent nothing
    guest("没来过", manager, manager, [])
    guest("前台录", front_desk, manager, [2, 1])  # typed at the front desk, developed by the manager
    guest("林开发", manager, front_desk, [4, 2, 1])
    guest("无主的", front_desk, None, [2, 1])
    old = guest("去年的", manager, manager, [6, 5, 4])
    Guest.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=500))


def test_new_guests_developed_are_credited_to_their_owner(client_for, manager, front_desk, developed):
    response = client_for(manager).get(reverse("reports:developed"), HTTP_ACCEPT_LANGUAGE="en")
    rows = {row["staff"]: row for row in response.context["rows"]}
    assert (rows["王"]["created"], rows["王"]["visited"], rows["王"]["developed"]) == (6, 5, 3)
    assert rows["王"]["rate"] == Decimal("50.0")
    assert (rows["林"]["created"], rows["林"]["visited"], rows["林"]["developed"]) == (1, 1, 1)
    assert (rows["No owner"]["created"], rows["No owner"]["developed"]) == (1, 1)
    assert response.context["chart"]["labels"] == ["王", "林", "No owner"]


def test_developed_guests_filter_by_owner_and_creation_date(client_for, manager, front_desk, developed):
    client = client_for(manager)
    response = client.get(reverse("reports:developed"), {"owner": front_desk.pk})
    assert [row["staff"] for row in response.context["rows"]] == ["林"]
    long_ago = {"date_from": (timezone.localdate() - datetime.timedelta(days=600)).isoformat(), "date_to": ""}
    rows = {row["staff"]: row for row in client.get(reverse("reports:developed"), long_ago).context["rows"]}
    assert (rows["王"]["created"], rows["王"]["developed"]) == (7, 4)


def test_the_developed_download_holds_exactly_the_filtered_rows(client_for, manager, front_desk, developed):
    response = client_for(manager).get(reverse("reports:developed"), {"owner": manager.pk, "format": "xlsx"})
    rows, _sheet = workbook_rows(response)
    assert rows[1:] == [["王", 6, 5, 3, 50]]


# Complaints


@pytest.fixture
def complaints(manager):
    guest = GuestFactory()
    hall, dining = outlet("宴会厅"), outlet("悦府中餐厅")

    def complaint(category, place, status="received", days_ago=0):
        found = complaint_record(actor=manager, guest=guest, fields={"category": category, "outlet": place,
                                 "description": "…", "received_at": timezone.now() - datetime.timedelta(days=days_ago)})  # fmt: skip
        Complaint.objects.filter(pk=found.pk).update(status=status)

    complaint("food", hall)
    complaint("food", hall)
    complaint("food", dining, status="closed")
    complaint("service", dining)
    complaint("service", dining, days_ago=400)
    return {"hall": hall, "dining": dining}


def test_complaints_are_counted_by_category_status_and_outlet(client_for, manager, complaints):
    response = client_for(manager).get(reverse("reports:complaints"), HTTP_ACCEPT_LANGUAGE="en")
    rows = [
        (row["category_label"], row["status_label"], row["outlet"], row["count"]) for row in response.context["rows"]
    ]
    assert rows == [
        ("Food quality", "Closed", "悦府中餐厅", 1),
        ("Food quality", "Received", "宴会厅", 2),
        ("Service attitude", "Received", "悦府中餐厅", 1),
    ]
    chart = response.context["chart"]
    assert chart["labels"][:2] == ["Food quality", "Service attitude"]
    assert {d["label"]: d["data"][:2] for d in chart["datasets"]} == {"Closed": [1, 0], "Received": [2, 1]}


def test_complaints_filter_by_outlet_category_status_and_date(client_for, manager, complaints):
    client = client_for(manager)

    def counts(**params):
        return sum(row["count"] for row in client.get(reverse("reports:complaints"), params).context["rows"])

    assert counts(outlet=complaints["dining"].pk) == 2
    assert counts(category="service") == 1
    assert counts(status="closed") == 1
    assert counts(date_from="", date_to="") == 5


def test_the_complaint_download_holds_exactly_the_filtered_rows(client_for, manager, complaints):
    response = client_for(manager).get(reverse("reports:complaints"), {"category": "food", "format": "xlsx"},
                                       HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    rows, _sheet = workbook_rows(response)
    assert rows == [["Category", "Status", "Outlet", "Complaints"], ["Food quality", "Closed", "悦府中餐厅", 1],
                    ["Food quality", "Received", "宴会厅", 2]]  # fmt: skip


# Visits by meal period and weekday


def last_weekday(iso_weekday: int, hour: int, weeks_back: int = 1) -> datetime.datetime:
    today = timezone.localdate()
    day = today - datetime.timedelta(days=(today.isoweekday() - iso_weekday) % 7 + 7 * weeks_back)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def meals(waiter):
    guest = GuestFactory()
    hall = outlet("宴会厅")
    record_visit(guest, waiter, at=last_weekday(1, 12), meal_period="lunch", party=2, spend="400.00")
    record_visit(guest, waiter, at=last_weekday(1, 12, 2), meal_period="lunch", party=6, spend="600.00")
    record_visit(guest, waiter, at=last_weekday(5, 19), meal_period="dinner", party=10, spend="5000.00", outlet=hall)
    record_visit(guest, waiter, at=last_weekday(5, 19, 20), meal_period="dinner", party=4, spend="800.00")
    return hall


def test_visits_by_meal_period_and_weekday_over_the_last_thirteen_weeks(client_for, manager, meals):
    response = client_for(manager).get(reverse("reports:meal_weekday"), HTTP_ACCEPT_LANGUAGE="en")
    rows = [(row["meal"], row["weekday_label"], row["visits"], row["covers"], row["spend"], row["per_cover"])
            for row in response.context["rows"]]  # fmt: skip
    assert rows == [("Lunch", "Monday", 2, 8, Decimal("1000"), Decimal("125.00")),
                    ("Dinner", "Friday", 1, 10, Decimal("5000"), Decimal("500.00"))]  # fmt: skip
    assert response.context["matrix"] == [("Lunch", [2, 0, 0, 0, 0, 0, 0]), ("Dinner", [0, 0, 0, 0, 1, 0, 0])]
    assert 'data-testid="matrix"' in response.content.decode()


def test_meal_weekday_filters_by_outlet_and_dates(client_for, manager, meals):
    client = client_for(manager)
    by_outlet = client.get(reverse("reports:meal_weekday"), {"outlet": meals.pk}).context["rows"]
    assert [(row["meal_period"], row["visits"]) for row in by_outlet] == [("dinner", 1)]
    everything = client.get(reverse("reports:meal_weekday"), {"date_from": "", "date_to": ""}).context["rows"]
    assert sum(row["visits"] for row in everything) == 4


def test_meal_weekday_figures_equal_those_summed_from_the_visits_after_corrections(client_for, manager, waiter, meals):
    guest = GuestFactory(tier="A")
    moved = record_visit(guest, waiter, at=last_weekday(3, 19, 3), meal_period="dinner", party=3, spend="450.00")
    visit_correct(actor=manager, visit=moved, fields={"visited_at": last_weekday(6, 12, 4), "meal_period": "lunch",
                                                      "spend": Decimal("990.00"), "party_size": 9})  # fmt: skip
    record_visit(guest, waiter, at=last_weekday(6, 12, 5), meal_period="lunch", party=1, spend="12.34", outlet=meals)
    rows = client_for(manager).get(reverse("reports:meal_weekday")).context["rows"]
    since = start_of_day(timezone.localdate() - datetime.timedelta(days=90))
    raw = (
        Visit.objects.filter(visited_at__gte=since).annotate(weekday=ExtractIsoWeekDay("visited_at"))
        .values_list("meal_period", "weekday").annotate(Count("id"), Sum("party_size"), Sum("spend"))
    )  # fmt: skip
    assert {(r["meal_period"], r["weekday"], r["visits"], r["covers"], r["spend"]) for r in rows} == set(raw)
    assert ("lunch", 6, 2, 10, Decimal("1002.34")) in set(raw)


def test_the_meal_weekday_download_holds_exactly_the_filtered_rows(client_for, manager, meals):
    response = client_for(manager).get(reverse("reports:meal_weekday"), {"outlet": meals.pk, "format": "xlsx"},
                                       HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    rows, _sheet = workbook_rows(response)
    assert rows[1:] == [["Dinner", "Friday", 1, 10, 5000, 500]]


# Spend by tier


@pytest.fixture
def tiers(waiter):
    vip, walk_in = GuestFactory(tier="A"), GuestFactory(tier="C")
    record_visit(vip, waiter, at=month_ago(0).replace(day=1, hour=12), spend="1000.00")
    record_visit(walk_in, waiter, at=month_ago(0).replace(day=1, hour=13), spend="200.00")
    record_visit(walk_in, waiter, at=month_ago(1), spend="300.00")
    record_visit(walk_in, waiter, at=month_ago(13), spend="999.00")


def test_spend_by_tier_per_month_over_twelve_months(client_for, manager, tiers):
    response = client_for(manager).get(reverse("reports:spend_by_tier"))
    this, last = month_ago(0).strftime("%Y-%m"), month_ago(1).strftime("%Y-%m")
    rows = [(row["month_label"], row["tier"], row["visits"], row["spend"]) for row in response.context["rows"]]
    assert rows == [(last, "C", 1, Decimal("300")), (this, "A", 1, Decimal("1000")), (this, "C", 1, Decimal("200"))]
    chart = response.context["chart"]
    assert chart["labels"] == [last, this]
    assert {d["label"]: d["data"] for d in chart["datasets"]} == {"A": [0, 1000], "C": [300, 200]}


def test_spend_by_tier_counts_each_visit_under_the_tier_its_host_had_then(client_for, manager, waiter):
    guest = GuestFactory(tier="C")
    record_visit(guest, waiter, at=month_ago(2), spend="300.00")
    guest = guest_update(guest=guest, actor=manager, fields={"tier": "A"})
    record_visit(guest, waiter, at=month_ago(1), spend="5000.00")
    rows = client_for(manager).get(reverse("reports:spend_by_tier")).context["rows"]
    assert [(row["month_label"], row["tier"], row["spend"]) for row in rows] == [
        (month_ago(2).strftime("%Y-%m"), "C", Decimal("300")),
        (month_ago(1).strftime("%Y-%m"), "A", Decimal("5000")),
    ]


def test_spend_by_tier_figures_equal_those_summed_from_the_visits(client_for, manager, waiter, tiers):
    visit = record_visit(GuestFactory(tier="B"), waiter, at=month_ago(3), spend="700.00")
    visit_correct(actor=manager, visit=visit, fields={"visited_at": month_ago(2), "spend": Decimal("720.50")})
    params = {"date_from": "", "date_to": ""}
    rows = client_for(manager).get(reverse("reports:spend_by_tier"), params).context["rows"]
    raw = (
        Visit.objects.annotate(month=TruncMonth("visited_at")).values_list("month", "host_tier")
        .annotate(Count("id"), Sum("spend"))
    )  # fmt: skip
    expected = {(timezone.localtime(month).strftime("%Y-%m"), tier, n, spend) for month, tier, n, spend in raw}
    assert {(row["month_label"], row["tier"], row["visits"], row["spend"]) for row in rows} == expected


def test_the_spend_by_tier_download_holds_exactly_the_filtered_rows(client_for, manager, tiers):
    this = timezone.localdate().replace(day=1).isoformat()
    response = client_for(manager).get(reverse("reports:spend_by_tier"), {"date_from": this, "format": "xlsx"})
    rows, _sheet = workbook_rows(response)
    assert [row[1:] for row in rows[1:]] == [["A", 1, 1000], ["C", 1, 200]]


# Query counts


# Session, user, the base page's follow-up badge and savepoints are the same on every page;
# the rest is the report's: its review, its rows, the owners' names, the filter choices.
@pytest.mark.parametrize(
    "name, params, queries",
    [
        ("reports:index", {}, 5),
        ("reports:vip", {}, 9),
        ("reports:at_risk", {}, 9),
        ("reports:birthdays", {"window": "month"}, 7),
        ("reports:top_spenders", {}, 9),
        ("reports:top_spenders", {"date_from": "2020-01-01"}, 10),
        ("reports:developed", {}, 7),
        ("reports:complaints", {}, 7),
        ("reports:meal_weekday", {}, 7),
        ("reports:spend_by_tier", {}, 7),
    ],
)
def test_report_pages_run_a_fixed_number_of_queries(
    client_for, manager, vips, at_risk_data, spenders, complaints, meals, name, params, queries,
    django_assert_max_num_queries,
):  # fmt: skip
    client = client_for(manager)
    client.get(reverse(name), params)
    # Without a cache (the embedded SQLite default) the session is read from the database each time.
    queries += settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    with django_assert_max_num_queries(queries):
        assert client.get(reverse(name), params).status_code == 200


@pytest.fixture
def at_risk_data(vips):
    for found in ReviewLine.objects.filter(review=vips["review"]):
        found.at_risk = True
        found.save()


def test_a_count_of_visits_is_headed_as_a_number_in_chinese_not_as_the_visit_records_menu(client_for, manager):
    html = client_for(manager).get(reverse("reports:meal_weekday"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<th class="text-end">到店次数</th>' in html and '<th class="text-end">到店记录</th>' not in html
