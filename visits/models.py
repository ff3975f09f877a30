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

    guest = models.ForeignKey(Guest, verbose_name=_("host guest"), on_delete=models.PROTECT, related_name="visits")
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
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
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
            models.Index(fields=["guest", "-visited_at"], name="visit_guest_recent_idx"),
            models.Index(fields=["outlet", "-visited_at"], name="visit_outlet_recent_idx"),
            models.Index(fields=["-visited_at"], name="visit_recent_idx"),
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

    @property
    def spend_per_head(self) -> Decimal:
        return (self.spend / self.party_size).quantize(Decimal("0.01"))
