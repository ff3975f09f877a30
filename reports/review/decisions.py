"""A manager decides on what the archive review proposes: approving applies the tier (in the
guest's history, the review as reason), the follow-ups and, when retention ended, the
anonymisation; rejecting changes nothing but the line."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.models import Channel, FollowUp
from followups.services import followups_add
from guests.models import Guest
from guests.services import AnonymiseReason, guest_anonymise, guest_update

from ..models import Review, ReviewLine
from .engine import retention_cutoff
from .jobs import RUN

FOLLOWUP_KINDS = {
    "win_back": (FollowUp.Kind.WIN_BACK, Channel.VISIT),
    "check_in": (FollowUp.Kind.CHECK_IN, Channel.CALL),
    "owner": (FollowUp.Kind.OWNER, Channel.VISIT),
}
FOLLOWUP_WITHIN = datetime.timedelta(days=7)


def tier_reason(line: ReviewLine) -> str:
    """The proposed tier in words, with the thresholds the review ran with."""
    thresholds = line.review.thresholds
    spend = f"¥{line.spend_12m:,.0f}"
    if line.proposed_tier == "A":
        return _("12-month spend %(spend)s ≥ A threshold ¥%(a)s") % {
            "spend": spend,
            "a": f"{float(thresholds['a']):,.0f}",
        }
    if line.proposed_tier == "B":
        return _("12-month spend %(spend)s ≥ B threshold ¥%(b)s, below A ¥%(a)s") % {
            "spend": spend,
            "b": f"{float(thresholds['b']):,.0f}",
            "a": f"{float(thresholds['a']):,.0f}",
        }
    return _("12-month spend %(spend)s below B threshold ¥%(b)s") % {
        "spend": spend,
        "b": f"{float(thresholds['b']):,.0f}",
    }


def _check(actor):
    if not actor.has_perm(RUN):
        raise PermissionDenied(_("Only a manager may decide on the review's proposals."))


@transaction.atomic
def review_approve(*, actor, review: Review, line_ids) -> int:
    """Apply the proposals: the tier (in the guest's history, with the review as reason) and the follow-ups;
    a guest whose retention ended is anonymised, through the one anonymisation service."""
    _check(actor)
    lines = (
        ReviewLine.objects.select_for_update(of=("self",))
        .select_related("guest", "review")
        .filter(review=review, pk__in=list(line_ids), decision=ReviewLine.Decision.PENDING)
    )
    now, approved = timezone.now(), 0
    for line in lines:
        guest = line.guest
        if line.proposed_tier != line.tier and guest.tier == line.tier and not guest.is_anonymised:
            reason = _("Review %(period)s: %(why)s") % {"period": review.period, "why": tier_reason(line)}
            guest_update(guest=guest, actor=actor, fields={"tier": line.proposed_tier}, reason=reason)
        _create_followups(line, actor, now)
        if line.retention_end:
            _anonymise_if_still_unseen(line, actor)
        line.decision, line.decided_by, line.decided_at = ReviewLine.Decision.APPROVED, actor, now
        line.save(update_fields=["decision", "decided_by", "decided_at"])
        approved += 1
    return approved


def _anonymise_if_still_unseen(line, actor) -> None:
    """The review's finding is frozen, the approval may come weeks later: a guest who has come back
    since is kept. Read under the guest's row lock, which logging a visit takes too."""
    guest = Guest.objects.select_for_update().get(pk=line.guest_id)
    last_seen = guest.last_visit_at or guest.created_at
    if not guest.is_anonymised and last_seen < retention_cutoff(line.review):
        guest_anonymise(guest=guest, actor=actor, reason=AnonymiseReason.RETENTION_END)


def _occasion(line, code) -> tuple[str, str]:
    """The (rule, occasion) a proposal is claimed under. A win-back is one per silence whoever
    asks first, the daily rule or an approved review: both claim it as the win-back rule's
    'last-visit:<day>' occasion (the day in the hotel's time zone, as the rule's SQL writes it)."""
    if code == "win_back":
        last = line.guest.last_visit_at
        return FollowUp.Kind.WIN_BACK, f"last-visit:{timezone.localdate(last).isoformat() if last else 'none'}"
    return "review", f"review:{line.review.period}:{code}"


def _create_followups(line, actor, now):
    kinds = [code for code in line.proposed_followups.split(",") if code in FOLLOWUP_KINDS]
    followups = []
    for code in kinds:
        kind, channel = FOLLOWUP_KINDS[code]
        rule, occasion = _occasion(line, code)
        followups.append(
            FollowUp(
                guest_id=line.guest_id,
                kind=kind,
                channel=channel,
                due_on=timezone.localdate(now) + FOLLOWUP_WITHIN,
                # An unowned guest's follow-ups go to the manager who approved, who finds an owner.
                owner_id=line.guest.owner_id or actor.pk,
                note=_("From review %(period)s") % {"period": line.review.period},
                rule=rule,
                occasion=occasion,
                created_at=now,
            )
        )
    followups_add(actor=actor, followups=followups)


@transaction.atomic
def review_reject(*, actor, review: Review, line_ids) -> int:
    """Nothing changes for the guest; the line records who said no and when."""
    _check(actor)
    return ReviewLine.objects.filter(review=review, pk__in=list(line_ids), decision=ReviewLine.Decision.PENDING).update(
        decision=ReviewLine.Decision.REJECTED, decided_by=actor, decided_at=timezone.now()
    )
