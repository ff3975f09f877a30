from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from guests.models import Guest, split_list
from staff.models import Outlet, Room


class MealPeriod(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    AFTERNOON_TEA = "tea", _("Afternoon tea")
    DINNER = "dinner", _("Dinner")
    LATE_NIGHT = "late", _("Late night")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    MOBILE = "mobile", _("Mobile pay")
    ACCOUNT = "account", _("Company account / signing")


class Visit(models.Model):
    """One meal or banquet, paid by its host guest."""

    guest = models.ForeignKey(
        Guest, verbose_name=_("host guest"), on_delete=models.PROTECT, related_name="visits",
        db_index=False,  # visit_guest_history_idx leads with it
    )  # fmt: skip
    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="visits")
    room = models.ForeignKey(
        Room, verbose_name=_("room or table"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    visited_at = models.DateTimeField(_("date and time"))
    meal_period = models.CharField(_("meal period"), max_length=10, choices=MealPeriod.choices)
    party_size = models.PositiveSmallIntegerField(
        _("party size"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    companions = models.ManyToManyField(
        Guest, verbose_name=_("archived guests at the table"), blank=True, related_name="visits_as_companion"
    )
    dishes = models.TextField(_("dishes"), max_length=2000, blank=True)
    drinks = models.TextField(_("drinks"), max_length=1000, blank=True)
    spend = models.DecimalField(
        _("spend (yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    payment_method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True)
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits_served",
        db_index=False,  # visit_served_by_idx leads with it
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    # The host's tier when the visit was logged: spend by tier counts each meal under the
    # tier its host had then, so moving a guest up or down later does not rewrite the past.
    host_tier = models.CharField(
        _("host's tier at the visit"), max_length=1, choices=Guest.Tier.choices, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        permissions = [("correct_visit", _("Can correct any visit"))]
        indexes = [
            # Covering (PostgreSQL): a guest's profile reads the figures of all their visits and a
            # page of their timeline from the index alone; a guest's 2,000 visits lie on as many
            # pages of the table.
            models.Index(
                fields=["guest", "-visited_at"],
                include=["id", "outlet", "meal_period", "party_size", "spend"],
                name="visit_guest_history_idx",
            ),
            models.Index(fields=["outlet", "-visited_at"], name="visit_outlet_recent_idx"),
            # Covering (PostgreSQL): top spenders over any period sum a window of visits by
            # guest from the index alone, without reading the table's rows; the managers' list
            # pages in its order (visited_at, id) and totals a window, filtered by meal period or
            # the guest's tier too, from it alone (bench/visits.py --what-if: 24 -> 5 ms a total).
            models.Index(
                fields=["-visited_at", "-id"],
                include=["guest", "outlet", "spend", "party_size", "meal_period"],
                name="visit_recent_idx",
            ),
            # Covering (PostgreSQL): the managers' list totals a spend band over all dates from
            # the index alone (42 -> 2 ms at 200,000 visits), in place of reading the whole table.
            models.Index(fields=["spend"], include=["party_size"], name="visit_spend_idx"),
            # In place of the foreign key's own index, at no extra write cost: the managers' list by
            # who served in the last 30 days walks one member of staff's visits from the newest
            # (bench/visits.py at 10,000,000 visits: 83 ms ANDing the two indexes' bitmaps before).
            models.Index(fields=["served_by", "-visited_at"], name="visit_served_by_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(spend__gte=0), name="visit_spend_not_negative"),
            models.CheckConstraint(condition=models.Q(party_size__gte=1), name="visit_party_at_least_one"),
        ]

    def __str__(self):
        return f"{self.guest} {self.visited_at:%Y-%m-%d} {self.get_meal_period_display()}"

    @property
    def dish_list(self):
        return split_list(self.dishes)

    @property
    def drink_list(self):
        return split_list(self.drinks)


class VisitDayTotal(models.Model):
    """The visits of one day (in the hotel's time zone) at one outlet, for one meal period
    and host tier, added up.

    Reports over a date window read these rows (at most days × outlets × 5 × 3) instead of
    millions of visits. The visit services keep them in step, in the visit's own
    transaction; `visit_totals_rebuild` recomputes them from the visits after a bulk load.
    """

    day = models.DateField(_("day"))
    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="+")
    meal_period = models.CharField(_("meal period"), max_length=10, choices=MealPeriod.choices)
    host_tier = models.CharField(_("host's tier at the visit"), max_length=1, choices=Guest.Tier.choices)
    visits = models.PositiveIntegerField(_("visits"))
    covers = models.PositiveIntegerField(_("covers"))
    spend = models.DecimalField(_("spend (yuan)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("visits of a day")
        verbose_name_plural = _("visits by day")
        # Its index also serves every report, which bounds the day first.
        constraints = [
            models.UniqueConstraint(fields=["day", "outlet", "meal_period", "host_tier"], name="visit_day_total_once")
        ]

    def __str__(self):
        return f"{self.day} {self.outlet_id} {self.meal_period} {self.host_tier}"


class Complaint(models.Model):
    """A guest's complaint, carried through the seed's procedure from receipt to summary."""

    class Category(models.TextChoices):
        FOOD = "food", _("Food quality")
        SERVICE = "service", _("Service attitude")
        FACILITIES = "facilities", _("Facilities")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        ASSIGNED = "assigned", _("Assigned")
        PROPOSED = "proposed", _("Remedy proposed")
        APPROVED = "approved", _("Remedy approved")
        CARRIED_OUT = "carried_out", _("Carried out, guest told")
        REACTION = "reaction", _("Guest's reaction recorded")
        CLOSED = "closed", _("Closed")

    guest = models.ForeignKey(Guest, verbose_name=_("guest"), on_delete=models.PROTECT, related_name="complaints")
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    outlet = models.ForeignKey(
        Outlet, verbose_name=_("outlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices, default=Severity.MEDIUM)
    description = models.TextField(_("description"), max_length=4000)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("first answer due"))
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    department = models.CharField(_("responsible department"), max_length=60, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
    )
    cause = models.TextField(_("cause"), max_length=2000, blank=True)
    remedy = models.TextField(_("remedy"), max_length=2000, blank=True)
    guest_reaction = models.TextField(_("guest's reaction"), max_length=2000, blank=True)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [
            ("handle_complaint", _("Can handle complaints")),
            ("approve_complaint", _("Can approve a complaint's remedy")),
        ]
        indexes = [
            models.Index(fields=["guest", "-received_at"], name="complaint_guest_idx"),
            models.Index(fields=["status", "due_at"], name="complaint_status_due_idx"),
            models.Index(fields=["-received_at"], name="complaint_recent_idx"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} · {self.guest}"


class ComplaintEvent(models.Model):
    """One step of a complaint: who moved it from which state to which, when, and why."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12, choices=Complaint.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Complaint.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class PosBill(models.Model):
    """A bill the POS sent (POST /api/v1/visits), kept as it came: it became a visit of the guest it names,
    or waits, unmatched, for the front desk to link it to a guest or dismiss it. One per bill number and
    outlet, so a retry (or two at once) answers with the first."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Recorded as a visit")
        UNMATCHED = "unmatched", _("Waiting for a guest")
        DISMISSED = "dismissed", _("Dismissed")

    client = models.ForeignKey("staff.ApiClient", verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    bill_number = models.CharField(_("bill number"), max_length=40)
    room = models.ForeignKey(Room, verbose_name=_("room or table"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")  # fmt: skip
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    party_size = models.PositiveSmallIntegerField(
        _("party size"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    items = models.JSONField(_("items"), default=list, blank=True)
    drinks = models.TextField(_("drinks"), max_length=1000, blank=True)
    total = models.DecimalField(_("total (yuan)"), max_digits=12, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])  # fmt: skip
    payment_method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True)
    guest_card_no = models.CharField(_("guest's card number on the bill"), max_length=20, blank=True)
    guest_mobile = models.CharField(_("guest's mobile on the bill"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    visit = models.OneToOneField(Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="pos_bill")  # fmt: skip
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("linked or dismissed by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    resolved_at = models.DateTimeField(_("linked or dismissed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("POS bill")
        verbose_name_plural = _("POS bills")
        permissions = [("resolve_posbill", _("Can link an unmatched POS bill to its guest, or dismiss it"))]
        constraints = [models.UniqueConstraint(fields=["outlet", "bill_number"], name="pos_bill_once_per_outlet")]
        indexes = [models.Index(fields=["status", "-opened_at"], name="pos_bill_status_idx")]

    def __str__(self):
        return f"{self.outlet} #{self.bill_number}"

    @property
    def dishes(self) -> str:
        """The bill's items as the visit's dishes: 佛跳墙×2、清蒸石斑."""
        return "、".join(f"{i['dish']}×{i['quantity']}" if i.get("quantity", 1) != 1 else i["dish"] for i in self.items)

    def net_total(self, adjustments=None) -> Decimal:
        """What the guest paid in the end: nothing for a voided bill, else the total less its refunds."""
        adjustments = list(self.adjustments.all()) if adjustments is None else adjustments
        if any(a.kind == PosBillAdjustment.Kind.VOID for a in adjustments):
            return Decimal("0")
        return self.total - sum((a.amount for a in adjustments), Decimal("0"))


class PosBillAdjustment(models.Model):
    """A void or a refund of a bill, as the POS sent it (POST /api/v1/visits/adjustments): it corrects the
    bill's visit through the correction service. One per reference and bill, so a retry is the first."""

    class Kind(models.TextChoices):
        VOID = "void", _("Void")
        REFUND = "refund", _("Refund")

    bill = models.ForeignKey(PosBill, verbose_name=_("bill"), on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reference = models.CharField(_("POS reference"), max_length=40)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])  # fmt: skip
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("POS bill void or refund")
        verbose_name_plural = _("POS bill voids and refunds")
        constraints = [models.UniqueConstraint(fields=["bill", "reference"], name="pos_adjustment_once")]

    def __str__(self):
        return f"{self.bill} · {self.get_kind_display()} {self.reference}"


class RecentSpend(models.Model):
    """One guest's visits and spend over the days of the RecentSpendPeriod: the kept part of "top
    spenders over the last 30 days" (visits/recent.py), so that the report adds today's visits to
    these rows instead of grouping a month of visits by guest. A guest without a visit in the
    period has no row."""

    guest = models.OneToOneField(
        Guest, verbose_name=_("guest"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    visits = models.PositiveIntegerField(_("visits"))
    spend = models.DecimalField(_("spend (yuan)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("recent spend of a guest")
        verbose_name_plural = _("recent spend of guests")
        # The report walks it from the highest spend down and stops at the 50th guest.
        indexes = [models.Index(fields=["-spend", "guest"], name="recent_spend_rank_idx")]

    def __str__(self):
        return f"{self.guest_id} {self.spend}"


class RecentSpendPeriod(models.Model):
    """The days (in the hotel's time zone, both included) that RecentSpend adds up: one row."""

    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("period of the recent spend")
        verbose_name_plural = _("periods of the recent spend")

    def __str__(self):
        return f"{self.first_day} – {self.last_day}"
