"""What admins do with webhooks (the admin calls these): subscribe a client, change or switch off a
subscription, rotate its secret, replay deliveries. Only a client holding the `webhooks` scope may be
subscribed; the secret is returned to be shown once."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.tasks import enqueue
from staff.models import ApiClient

from .delivery import RETRY_FOR
from .models import Delivery, Subscription, new_secret
from .tasks import deliver_due

MANAGE = "webhooks.change_subscription"
REPLAY = "webhooks.replay_delivery"


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("Only admins may manage webhooks."))


def client_may_subscribe(client: ApiClient) -> None:
    if not client.is_active:
        raise ValidationError({"client": _("This API client is revoked; it receives no webhooks.")})
    if ApiClient.Scope.WEBHOOKS not in client.scopes:
        raise ValidationError({"client": _(
            "This API client does not hold the scope “Receive webhooks”: give it that scope under API clients "
            "first.")})  # fmt: skip


@transaction.atomic
def subscription_create(*, actor, client: ApiClient, url: str, events: Iterable[str]) -> Subscription:
    """A new subscription with a new secret (subscription.secret, to be shown to the admin once)."""
    _require(actor, "webhooks.add_subscription")
    client_may_subscribe(client)
    subscription = Subscription(client=client, url=url.strip(), events=list(events), created_by=actor)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_change(*, actor, subscription: Subscription, url: str, events: Iterable[str],
                        is_active: bool) -> Subscription:  # fmt: skip
    """Address, events, on or off; the client and the secret stay (rotate the secret on its own)."""
    _require(actor, MANAGE)
    subscription = Subscription.objects.select_for_update().select_related("client").get(pk=subscription.pk)
    if is_active and not subscription.is_active:
        client_may_subscribe(subscription.client)
    subscription.url, subscription.events, subscription.is_active = url.strip(), list(events), is_active
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, actor, subscription: Subscription) -> Subscription:
    """A new secret, effective for the next try of every delivery; the old one stops signing at once."""
    _require(actor, MANAGE)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.secret, subscription.secret_rotated_at = new_secret(), timezone.now()
    subscription.save(update_fields=["secret", "secret_rotated_at"])
    return subscription


@transaction.atomic
def deliveries_replay(*, actor, deliveries: Iterable[Delivery]) -> tuple[list[Delivery], list[tuple[Delivery, str]]]:
    """Send the deliveries' events again, with the same event ids, each as a new pending delivery that
    names who replayed it and what (the old one keeps its log). Returns the new deliveries and the
    refused ones with why: one still queued, or a subscription that may no longer receive."""
    _require(actor, REPLAY)
    now = timezone.now()
    queued, refused = [], []
    for old in Delivery.objects.select_related("subscription__client").filter(pk__in=[d.pk for d in deliveries]):
        subscription = old.subscription
        open_ = Delivery.objects.filter(event_id=old.event_id, subscription=subscription,
                                        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])  # fmt: skip
        if open_.exists():
            refused.append((old, _("it is queued already")))
        elif not subscription.is_active:
            refused.append((old, _("its subscription is switched off")))
        elif not subscription.client.is_active or ApiClient.Scope.WEBHOOKS not in subscription.client.scopes:
            refused.append((old, _("its client may no longer receive webhooks")))
        else:
            queued.append(Delivery(event_id=old.event_id, subscription=subscription, next_attempt_at=now,
                                   give_up_at=now + RETRY_FOR, created_at=now, replay_of=old, replayed_by=actor))  # fmt: skip
    Delivery.objects.bulk_create(queued)
    if queued:
        enqueue(deliver_due)
    return queued, refused
