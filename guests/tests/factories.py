import factory

from guests.models import Guest
from guests.services import guest_create


class GuestFactory(factory.django.DjangoModelFactory):
    """Builds guests through the service, so search keys and card numbers are real."""

    class Meta:
        model = Guest

    name = "张伟"
    honorific = "张总"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    company = "北京华信科技有限公司"
    tier = "C"

    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        return guest_create(actor=actor, fields=kwargs)
