import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crm.tasks import enqueue_suppressed
from demo.bookings import load_bookings
from demo.calls import load_calls
from followups.rules import rules_run
from guests.demo import GuestFaker
from guests.models import Guest, RelatedPerson
from guests.services import guest_create, related_person_add
from reports.review import review_compute, review_start
from staff import roles
from staff.models import Outlet
from visits.complaints import complaint_record
from visits.services import visit_record

DEMO_PASSWORD = "keshi-demo-2026"
DEMO_USERS = (
    ("frontdesk", roles.FRONT_DESK, "前台", "小林"),
    ("waiter", roles.WAITER, "服务员", "小周"),
    ("manager", roles.MANAGER, "经理", "王"),
    ("admin", roles.ADMIN, "管理员", "陈"),
)
OUTLETS = (("悦府中餐厅", Outlet.Kind.RESTAURANT), ("金色大宴会厅", Outlet.Kind.BANQUET), ("大堂吧", Outlet.Kind.BAR))


class Command(BaseCommand):
    help = "Load demo outlets and rooms, one user per role, a few hundred guests and a week of bookings (once)."

    def add_arguments(self, parser):
        parser.add_argument("--guests", type=int, default=300)

    @transaction.atomic
    def handle(self, *args, guests, **options):
        outlets = [Outlet.objects.get_or_create(name=name, defaults={"kind": kind})[0] for name, kind in OUTLETS]
        users = {}
        User = get_user_model()
        for username, role, last, first in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"last_name": last, "first_name": first, "is_staff": role == roles.ADMIN}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=role))
                user.outlets.set(outlets)
            users[role] = user
        if Guest.objects.exists():
            self.stdout.write("Demo guests already loaded.")
        else:
            with enqueue_suppressed():  # the rules run once, over everyone, at the end
                self._guests(guests, users, outlets)
        hosts = list(Guest.objects.filter(anonymised_at__isnull=True).order_by("id")[:300])
        if made := load_bookings(users=users, outlets=outlets, guests=hosts):
            self.stdout.write(f"Loaded {made} demo bookings: today's and this week's board, yesterday's no-show.")
        if made := load_calls(guests=hosts):
            self.stdout.write(f"Loaded {made} demo phone calls, two missed ones to call back.")
        if secretary := RelatedPerson.objects.filter(relation="secretary").select_related("guest").first():
            self.stdout.write(f"Phone booking: type {secretary.phone[-4:]}, {secretary.name}'s number, who books for "
                              f"{secretary.guest.greeting}.")  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for username, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {roles.ROLE_LABELS[role]}")

    def _guests(self, count, users, outlets):
        faker = GuestFaker(seed=7)
        rng = random.Random(7)
        managers = [users[roles.MANAGER], users[roles.ADMIN]]
        for i in range(count):
            fields = faker.person() | faker.preferences()
            if rng.random() < 0.4:
                fields |= {"birth_month": rng.randint(1, 12), "birth_day": rng.randint(1, 28),
                           "birthday_lunar": rng.random() < 0.3}  # fmt: skip
            fields["greeting_consent"] = rng.random() < 0.6
            if fields["tier"] != "C":
                fields["owner"] = rng.choice(managers)
            if i % 10 == 0:
                fields["confidential_notes"] = "与某领导关系密切，安排座位需注意。"
            # Confidential notes are the managers' to write (the admin role does not see them).
            guest = guest_create(actor=users[roles.MANAGER], fields=fields)
            if guest.tier == "A" and i % 2 == 0:  # a secretary books for the boss: the phone desk knows her number
                related_person_add(guest=guest, actor=users[roles.MANAGER], name=f"小{rng.choice('王李刘陈杨赵黄周吴')}",
                                   relation="secretary", phone=f"137{rng.randint(0, 99_999_999):08d}")  # fmt: skip
            self._visits(guest, rng, users, outlets)
        rules_run()
        # The managers' reports read their 12-month figures from the latest review: compute this
        # period's, leaving its proposals for a manager to approve or reject.
        review, _created = review_start(actor=users[roles.ADMIN])
        review_compute(review_id=review.pk)
        self.stdout.write(
            f"Loaded {count} demo guests, with their visits, complaints, follow-ups and an archive review to approve."
        )

    def _visits(self, guest, rng, users, outlets):
        """A history that fits the tier: A guests come often and spend much, C guests seldom."""
        count, spend = {"A": (14, 3000), "B": (7, 1200), "C": (2, 400)}[guest.tier]
        dishes = guest.dish_list or ["北京烤鸭", "白灼菜心"]
        now = timezone.now()
        for _ in range(rng.randint(0, count)):
            party = rng.randint(1, 12)
            visit = visit_record(
                actor=users[roles.WAITER],
                guest=guest,
                fields={
                    "outlet": rng.choice(outlets),
                    "visited_at": now - datetime.timedelta(days=rng.randint(0, 700), hours=rng.randint(0, 8)),
                    "meal_period": rng.choice(["lunch", "dinner", "dinner", "tea"]),
                    "party_size": party,
                    "dishes": "、".join(rng.sample(dishes, min(len(dishes), 2))),
                    "drinks": guest.favourite_drinks,
                    "spend": Decimal(rng.randint(spend // 2, spend * 2) * party).quantize(Decimal("0.01")),
                    "payment_method": rng.choice(["card", "mobile", "account"]),
                },
            )
            if rng.random() < 0.03:
                complaint_record(
                    actor=users[roles.WAITER],
                    guest=guest,
                    fields={"visit": visit, "category": rng.choice(["food", "service"]), "severity": "medium",
                            "description": rng.choice(["上菜太慢，等了四十分钟。", "鱼不新鲜。", "包间空调太冷。"])},
                )  # fmt: skip
