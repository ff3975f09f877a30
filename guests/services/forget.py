"""What the guests app holds about a guest besides the guest's own row: related people, tags,
the change history (the history of every record merged into the guest included) and the
card uploads not yet imported.

The guest's own row is blanked by guest_anonymise after every registered forgetter ran.
"""

from ..cards.forget import card_uploads_forget
from ..forgetting import admin_log_forget, guest_ids_forgotten_with
from ..models import Guest, RelatedPerson, Tag


def guests_forget_guest(*, guest: Guest) -> None:
    ids = guest_ids_forgotten_with(guest)
    people = list(RelatedPerson.objects.filter(guest=guest).values_list("pk", flat=True))
    RelatedPerson.objects.filter(pk__in=people).delete()
    RelatedPerson.history.filter(guest_id__in=ids).delete()
    RelatedPerson.history.filter(id__in=people).delete()

    tag_ids = list(guest.tags.values_list("pk", flat=True))
    guest.tags.clear()
    tag_history = Guest.history.model._meta.get_field("historicalguest_tags").related_model
    unused = Tag.objects.filter(pk__in=tag_ids, guests__isnull=True)
    tag_history.objects.filter(tag__in=unused).delete()
    unused.delete()

    tag_history.objects.filter(guest_id__in=ids).delete()
    Guest.history.filter(id__in=ids).delete()
    admin_log_forget(Guest, ids)
    card_uploads_forget(guest=guest)
