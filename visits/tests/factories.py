import datetime
from decimal import Decimal

from django.utils import timezone

from staff.models import Outlet, Room
from visits.services import visit_record


def outlet(name="悦府中餐厅"):
    return Outlet.objects.get_or_create(name=name)[0]


def room(name="牡丹厅", outlet_name="悦府中餐厅"):
    return Room.objects.get_or_create(outlet=outlet(outlet_name), name=name)[0]


def record_visit(guest, actor, days_ago=0, spend="800.00", party=4, at=None, **fields):
    when = at or timezone.now() - datetime.timedelta(days=days_ago)
    base = {
        "outlet": fields.pop("outlet", None) or outlet(),
        "visited_at": when,
        "meal_period": "dinner",
        "party_size": party,
        "spend": Decimal(spend),
    }
    return visit_record(actor=actor, guest=guest, fields=base | fields)
