"""The guest record, its tags and related people, and the counter behind card numbers."""

import calendar
import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Right
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ..validators import validate_landline, validate_mobile

LIST_SEPARATORS = re.compile(r"[、，,;；\n]+")


def split_list(text: str) -> list[str]:
    """Dishes, drinks and taboos are typed as one text, separated as people write them."""
    return [item.strip() for item in LIST_SEPARATORS.split(text or "") if item.strip()]


class Tag(models.Model):
    name = models.CharField(pgettext_lazy("object name", "name"), max_length=30, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class CardSequence(models.Model):
    """The counter behind archive card numbers; one row, locked while a number is taken."""

    name = models.CharField(max_length=20, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class Guest(models.Model):
    class Tier(models.TextChoices):
        A = "A", _("A · VIP")
        B = "B", _("B · Regular account")
        C = "C", _("C · Walk-in / new")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("Not recorded")
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class OrgType(models.TextChoices):
        UNKNOWN = "", _("Not recorded")
        GOVERNMENT = "government", _("Government body")
        COMPANY = "company", _("Company / institution")
        INDIVIDUAL = "individual", _("Individual")
        GROUP = "group", _("Group / association")

    class Payment(models.TextChoices):
        UNKNOWN = "", _("Not recorded")
        COMPANY_ACCOUNT = "account", _("Company account / signing")
        CASH = "cash", _("Cash")
        CARD = "card", _("Bank card")
        MOBILE = "mobile", _("Mobile pay")

    class Smoking(models.TextChoices):
        UNKNOWN = "", _("Not recorded")
        SMOKER = "yes", _("Smokes")
        NON_SMOKER = "no", _("Does not smoke")

    class Source(models.TextChoices):
        WALK_IN = "walk_in", _("Walk-in")
        REFERRAL = "referral", _("Referred by a guest")
        SALES = "sales", _("Sales visit")
        EVENT = "event", _("Event / banquet")
        PHONE = "phone", _("Phone booking")
        OTHER = "other", _("Other")

    card_no = models.CharField(
        _("card no."),
        max_length=20,
        unique=True,
        error_messages={"unique": _("This card number is already used by another guest.")},
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.C)

    # Identity
    name = models.CharField(_("full name"), max_length=40, blank=True)
    surname = models.CharField(_("surname"), max_length=10, blank=True)
    honorific = models.CharField(
        _("honorific"), max_length=20, blank=True, help_text=_("How staff greet the guest, e.g. 张总, 李局, Mr. Wang.")
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birthday month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birthday day"), null=True, blank=True)
    birthday_lunar = models.BooleanField(_("lunar birthday"), default=False)
    birthday_leap_month = models.BooleanField(_("leap month (闰月)"), default=False)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, validators=[validate_mobile])
    landline = models.CharField(_("landline"), max_length=30, blank=True, validators=[validate_landline])
    wechat = models.CharField(_("WeChat"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=40, blank=True)

    # Work
    company = models.CharField(_("company / unit"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=40, blank=True)
    org_type = models.CharField(_("organisation type"), max_length=20, choices=OrgType.choices, blank=True)
    payment = models.CharField(_("payment habit"), max_length=10, choices=Payment.choices, blank=True)

    # Preferences
    favourite_dishes = models.TextField(_("favourite dishes"), max_length=1000, blank=True)
    favourite_drinks = models.TextField(_("favourite drinks"), max_length=500, blank=True)
    taste = models.CharField(_("taste"), max_length=100, blank=True)
    taboos = models.TextField(_("dietary taboos"), max_length=500, blank=True)
    allergies = models.TextField(_("allergies"), max_length=500, blank=True)
    seating = models.CharField(_("seating / room preference"), max_length=100, blank=True)
    smoking = models.CharField(_("smoking"), max_length=3, choices=Smoking.choices, blank=True)
    special_needs = models.TextField(_("special needs"), max_length=500, blank=True)
    topics_to_avoid = models.TextField(_("topics to avoid"), max_length=500, blank=True)

    # Important dates
    anniversary = models.DateField(_("wedding anniversary"), null=True, blank=True)
    company_anniversary = models.DateField(_("company anniversary"), null=True, blank=True)

    # Source and ownership
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WALK_IN)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_guests",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="guests")

    # Consent (PIPL): no greeting without it, and we keep who recorded it and when.
    greeting_consent = models.BooleanField(_("consents to greetings"), default=False)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)

    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    confidential_notes = models.TextField(_("confidential notes"), max_length=2000, blank=True)

    # Search keys, kept in step with the name by the services.
    name_pinyin = models.CharField(max_length=80, blank=True, editable=False)
    name_initials = models.CharField(max_length=20, blank=True, editable=False)
    mobile_tail = models.CharField(max_length=4, blank=True, editable=False)

    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True, editable=False)
    # The first day of the month in which the guest was developed: the second of two consecutive
    # calendar months with spend (hotel time zone). Kept by the visit services (visits/development.py)
    # so that the "developed" report counts guests instead of reading all their visits.
    developed_on = models.DateField(_("developed in"), null=True, blank=True, editable=False)
    # Last visit, or creation for a guest never seen: never null, so lookups can walk
    # an index in the order the front desk wants (tier, then most recent first).
    last_seen_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(_("revised"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["name_pinyin", "name_initials", "mobile_tail", "last_seen_at", "updated_at"],
        m2m_fields=[tags],
    )

    class Meta:
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        ordering = ["tier", "-last_seen_at", "-id"]
        permissions = [
            ("view_confidential", _("Can see confidential notes")),
            ("change_guest_preferences", _("Can note a guest's preferences")),
            ("change_guest_tier", _("Can confirm a guest's tier and owner")),
            ("view_guest_history", _("Can see the change history of a guest")),
            ("merge_guests", _("Can merge two guest records")),
            ("anonymise_guest", _("Can anonymise a guest")),
        ]
        indexes = [
            # Every lookup ends "ORDER BY tier, last_seen_at DESC LIMIT n"; for common
            # keys (张, zhang) the planner walks this index and stops after a page.
            models.Index(fields=["tier", "-last_seen_at", "-id"], name="guest_rank_idx"),
            models.Index(fields=["name"], name="guest_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["surname", "tier", "-last_seen_at"], name="guest_surname_idx"),
            models.Index(fields=["honorific"], name="guest_honorific_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["company"], name="guest_company_idx", opclasses=["varchar_pattern_ops"]),
            # A pinyin longer than the search keys' (guests/searchkeys.py): the page's 20 of its matches
            # chosen from the index alone, then only those rows read (208 matches at 10,000,000 guests).
            models.Index(
                fields=["name_pinyin"],
                include=["tier", "last_seen_at", "id"],
                opclasses=["varchar_pattern_ops"],
                name="guest_pinyin_rank_idx",
            ),
            models.Index(fields=["name_initials"], name="guest_initials_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["mobile"], name="guest_mobile_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["mobile_tail", "tier", "-last_seen_at"], name="guest_mobile_tail_idx"),
            # The visits list filtered by the host's tier now: each visit's guest looked up for its tier from
            # the index alone, in place of hashing the tier's 270,000 guests (bench/visits.py, meal period
            # + tier over 30 days).
            models.Index(fields=["id"], include=["tier"], name="guest_tier_by_id_idx"),
            # The API's sync: pages in the order guests last changed (guests.api).
            models.Index(fields=["updated_at", "id"], name="guest_updated_idx"),
            # The birthdays of a week or a month, solar and lunar alike: one (month, day) pair
            # per calendar each day, instead of reading every guest.
            models.Index(fields=["birth_month", "birth_day"], name="guest_birthday_idx"),
            # The "developed" report: the new guests of a period counted by owner, from the index
            # alone (a year's third of a million guests: 200 ms read from the table).
            models.Index(
                fields=["created_at"],
                include=["owner", "last_visit_at", "developed_on"],
                condition=models.Q(anonymised_at__isnull=True),
                name="guest_created_idx",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.anonymised_at:
            return str(_("Anonymised guest {card}")).format(card=self.card_no)
        return self.name or self.honorific or self.surname or self.card_no

    @property
    def greeting(self) -> str:
        """What the greeter says at the door: the honorific, else surname and title."""
        return self.honorific or self.name or self.surname

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def dish_list(self):
        return split_list(self.favourite_dishes)

    @property
    def drink_list(self):
        return split_list(self.favourite_drinks)

    @property
    def taboo_list(self):
        return split_list(self.taboos)

    @property
    def allergy_list(self):
        return split_list(self.allergies)

    @property
    def birthday_display(self) -> str:
        if not (self.birth_month and self.birth_day):
            return ""
        if self.birthday_lunar:
            leap = str(_("leap")) if self.birthday_leap_month else ""
            text = str(_("lunar {leap}{month}/{day}")).format(leap=leap, month=self.birth_month, day=self.birth_day)
        else:
            text = f"{self.birth_month}/{self.birth_day}"
        return f"{text} ({self.birth_year})" if self.birth_year else text

    def clean(self):
        super().clean()
        if not self.is_anonymised and not (self.surname or self.name):
            raise ValidationError({"surname": _("Enter at least the guest's surname.")})
        self._clean_birthday()

    def _clean_birthday(self):
        month, day, year = self.birth_month, self.birth_day, self.birth_year
        if month is None and day is None:
            if year is not None or self.birthday_lunar:
                raise ValidationError({"birth_month": _("Enter the month and day of the birthday.")})
            return
        if month is None or day is None:
            raise ValidationError({"birth_day": _("Enter both the month and the day of the birthday.")})
        if not 1 <= month <= 12:
            raise ValidationError({"birth_month": _("The month must be between 1 and 12.")})
        today = timezone.localdate()
        if year is not None and not 1900 <= year <= today.year:
            raise ValidationError({"birth_year": _("The birth year must be between 1900 and this year.")})
        if self.birthday_lunar:
            if not 1 <= day <= 30:
                raise ValidationError({"birth_day": _("A lunar day is between 1 and 30.")})
            return
        if self.birthday_leap_month:
            raise ValidationError({"birthday_leap_month": _("Only a lunar birthday can fall in a leap month.")})
        longest = calendar.monthrange(year if year else 2000, month)[1]
        if not 1 <= day <= longest:
            raise ValidationError({"birth_day": _("This month has no day %(day)s.") % {"day": day}})
        if year is not None and datetime.date(year, month, day) > today:
            raise ValidationError({"birth_year": _("The birthday cannot be in the future.")})


class RelatedPerson(models.Model):
    """Whoever books or comes for the guest: driver, secretary, office director."""

    class Relation(models.TextChoices):
        DRIVER = "driver", _("Driver")
        SECRETARY = "secretary", _("Secretary")
        OFFICE_DIRECTOR = "office", _("Office director")
        ASSISTANT = "assistant", _("Assistant")
        FAMILY = "family", _("Family")
        OTHER = "other", _("Other")

    guest = models.ForeignKey(Guest, verbose_name=_("guest"), on_delete=models.CASCADE, related_name="related_people")
    name = models.CharField(_("name"), max_length=40)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices, default=Relation.OTHER)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_landline])

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("related person")
        verbose_name_plural = _("related people")
        # The desk finds a secretary who calls by the last four digits of her phone.
        indexes = [models.Index(Right("phone", 4), name="relatedperson_phone_tail_idx")]

    def __str__(self):
        return f"{self.name} ({self.get_relation_display()})"
