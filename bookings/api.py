"""The API's caller lookup: the phone system or a partner app asks who is calling (GET /api/v1/lookup)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from crm.api import OwnTransactionView
from guests.models import Guest, RelatedPerson
from staff.api import bound_outlets, client_of
from staff.clients import api_reads_add
from visits.models import MealPeriod

from .models import Booking
from .phone import caller_lookup, caller_summaries


class LastVisitOut(serializers.Serializer):
    date = serializers.DateField()
    outlet = serializers.CharField()
    room = serializers.CharField(allow_null=True)


class NextBookingOut(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    meal_period = serializers.ChoiceField(choices=MealPeriod.choices)
    arrival_time = serializers.TimeField(format="%H:%M")
    outlet = serializers.CharField()
    rooms = serializers.ListField(child=serializers.CharField())
    party_size = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)


class CallerGuestOut(serializers.Serializer):
    card_no = serializers.CharField()
    honorific = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.ChoiceField(choices=Guest.Tier.choices)
    taboos = serializers.ListField(child=serializers.CharField())
    allergies = serializers.ListField(child=serializers.CharField())
    favourite_dishes = serializers.ListField(child=serializers.CharField())
    favourite_drinks = serializers.ListField(child=serializers.CharField())
    last_visit = LastVisitOut(allow_null=True)
    next_booking = NextBookingOut(allow_null=True)
    no_shows = serializers.IntegerField()


class BookedByOut(serializers.Serializer):
    name = serializers.CharField()
    relation = serializers.ChoiceField(choices=RelatedPerson.Relation.choices)


class CallerOut(serializers.Serializer):
    guest = CallerGuestOut()
    books_for = BookedByOut(
        allow_null=True, help_text="Set when the number is a related person's: who calls for the guest."
    )


class LookupOut(serializers.Serializer):
    matches = CallerOut(many=True)
    more = serializers.BooleanField(help_text="More guests have these digits than are listed: ask for more of them.")


def _caller(summary) -> dict:
    guest, person = summary.match.guest, summary.match.person
    visit, booking = summary.last_visit, summary.next_booking
    return {
        "guest": {
            "card_no": guest.card_no, "honorific": guest.greeting, "name": guest.name, "tier": guest.tier,
            "taboos": guest.taboo_list, "allergies": guest.allergy_list, "favourite_dishes": guest.dish_list,
            "favourite_drinks": guest.drink_list,
            "last_visit": visit, "next_booking": booking,
            "no_shows": summary.no_shows,
        },
        "books_for": person and {"name": person.name, "relation": person.relation},
    }  # fmt: skip


class CallerLookup(OwnTransactionView):
    """Who is calling: a guest whose mobile it is, or a related person (a secretary, a driver) who books
    for a guest. The whole number (with or without +86, spaces or dashes) or its last four digits."""

    # It writes nothing to the database (its reads are counted in Redis): outside the request's transaction.
    scopes = "lookup"

    @extend_schema(
        operation_id="lookup",
        parameters=[OpenApiParameter("phone", str, required=True,
                                     description="The whole number, or its last four (to six) digits.")],
        responses=LookupOut,
    )  # fmt: skip
    def get(self, request):
        lookup = caller_lookup(request.query_params.get("phone", ""))
        if lookup.too_short:
            raise ValidationError({"phone": [_("Give the whole number, or at least its last four digits.")]})
        summaries = caller_summaries(lookup.matches, outlet_ids=bound_outlets(request) or None)
        api_reads_add(client=client_of(request), endpoint="lookup", records=len(summaries))
        return Response(LookupOut({"matches": [_caller(s) for s in summaries], "more": lookup.more}).data)
