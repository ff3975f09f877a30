import pytest

from bookings.tests.test_sheet import set_guest
from guests.models import RelatedPerson
from guests.tests.factories import GuestFactory


@pytest.fixture
def zhang():
    """张总, tier A, who does not eat coriander; his secretary 小刘 books for him from her own phone."""
    guest = set_guest(GuestFactory(name="张伟", honorific="张总", tier="A", mobile="13911112345"), taboos="不吃香菜")
    RelatedPerson.objects.create(guest=guest, name="小刘", relation="secretary", phone="138-0000-6789")
    return guest
