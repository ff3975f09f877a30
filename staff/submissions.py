"""What a form carries from the moment it was opened to the moment it is sent.

Two things, so that nothing is written twice and nothing is lost:

- a create form's one-time token (`SubmissionTokenMixin` + `@submitted_once`): a double tap or a
  retry on a flaky phone connection sends the same token again and gets the first result;
- an edit form's opened state (`OpenedStateMixin`): a signed fingerprint of every value the
  person saw, so a save applies only what they changed and refuses a field that someone else
  changed in the meantime instead of silently putting the old value back.
"""

import datetime
import hashlib
import json
import uuid
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FormSubmission

TOKEN_FIELD = "submission_token"
OPENED_FIELD = "opened"
# A retry comes within seconds; a day covers a phone that slept on the form overnight.
TOKENS_KEPT_FOR = datetime.timedelta(days=1)


# ---- one-time tokens for create forms ---------------------------------------------------


class SubmissionTokenMixin:
    """Adds the hidden one-time token to a create form (not to the same form editing a record);
    a re-rendered form keeps the token it was sent with."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(getattr(self, "instance", None), "pk", None) is None:
            self.fields[TOKEN_FIELD] = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class _Replay(Exception):
    def __init__(self, response):
        self.response = response


class _NotDone(Exception):
    def __init__(self, response):
        self.response = response


def submitted_once(view):
    """The POST path of a create view, run at most once per token.

    The token is claimed by an INSERT inside the request's transaction: a second request with
    the same token blocks on the unique index until the first commits, then fails the insert
    and answers with the first result. The claim is kept only when the view redirects (the
    record was written); a re-rendered form (a validation error, a duplicate warning) rolls the
    claim back with everything else the view did, so the same token works on the next try.
    A POST without a token (an API client, an old page) runs unguarded, as before.
    """

    @wraps(view)
    def guarded(request, *args, **kwargs):
        raw = request.POST.get(TOKEN_FIELD, "") if request.method == "POST" else ""
        if not raw:
            return view(request, *args, **kwargs)
        try:
            token = uuid.UUID(raw)
        except ValueError:
            messages.error(request, _("This form could not be read; it is shown again empty. Please enter it again."))
            return redirect(request.get_full_path())
        try:
            with transaction.atomic():
                submission = _claim(request, token)
                response = view(request, *args, **kwargs)
                if not 300 <= response.status_code < 400 or not response.get("Location"):
                    raise _NotDone(response)
                submission.result_url = response["Location"][:300]
                submission.save(update_fields=["result_url"])
                return response
        except (_Replay, _NotDone) as outcome:
            return outcome.response

    return guarded


def _claim(request, token) -> FormSubmission:
    FormSubmission.objects.filter(created_at__lt=timezone.now() - TOKENS_KEPT_FOR).delete()
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=token, user=request.user)
    except IntegrityError:
        earlier = FormSubmission.objects.get(token=token)
    if earlier.user_id != request.user.pk:
        messages.error(request, _("This form was opened by someone else; it is shown again for you to enter."))
        raise _Replay(redirect(request.get_full_path()))
    messages.info(request, _("This form had already been sent; it was saved once, here is the result."))
    raise _Replay(redirect(earlier.result_url or request.get_full_path()))


# ---- the opened state of edit forms -----------------------------------------------------


def _plain(value):
    """One spelling per value, whether it comes from the stored row or from the submitted form."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        # The inputs hold minutes: a value stored with seconds reads back unchanged.
        return timezone.localtime(value).replace(second=0, microsecond=0).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return sorted((_plain(item) for item in value), key=str)
    return str(value).replace("\r\n", "\n").strip()


def fingerprint(value) -> str:
    return hashlib.sha256(json.dumps(_plain(value), ensure_ascii=False).encode()).hexdigest()[:16]


def shown(field, value) -> str:
    """A value as the person reads it, for a conflict message."""
    if value in (None, "", [], ()):
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return "、".join(str(item) for item in value)
    choices = getattr(field, "choices", None)
    if choices is not None and not isinstance(value, models.Model):
        labels = {str(key): label for key, label in choices if not isinstance(label, list | tuple)}
        return str(labels.get(str(value), value))
    return str(value)


def conflict_message(field, stored, yours) -> str:
    return _(
        "Someone else changed this since you opened the form. Stored now: “%(stored)s”; yours: “%(yours)s”. "
        "Nothing was saved: check it and save again to keep yours."
    ) % {"stored": shown(field, stored), "yours": shown(field, yours)}


class OpenedStateMixin:
    """An edit form that remembers, signed, what the person saw when they opened it.

    A form defines `opened_values(instance)`: the compared values, spelled as its cleaned_data
    spells them, and may override `submitted_values()`. After is_valid(), `changes_since(stored)`
    takes the stored row (locked by the caller until commit) and returns the values the person
    changed, or None when one of them was changed by someone else too: then each such field
    carries a message with both values and the opened state of those fields is moved to the
    stored one, so that a second save after reading applies the person's value.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Computed when the form is rendered, once the subclass has settled its fields.
            initial = lambda: self._sign(self.opened_values(self.instance))  # noqa: E731
            self.fields[OPENED_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput, initial=initial)

    def opened_values(self, instance) -> dict:
        raise NotImplementedError

    def submitted_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.opened_values_names}

    @property
    def opened_values_names(self):
        return [name for name in self.fields if name not in (OPENED_FIELD, TOKEN_FIELD)]

    @property
    def _salt(self) -> str:
        return f"keshi.opened.{self.instance._meta.label_lower}.{self.instance.pk}"

    def _sign(self, values: dict) -> str:
        return signing.dumps({name: fingerprint(value) for name, value in values.items()}, salt=self._salt,
                             compress=True)  # fmt: skip

    def _opened(self, stored: dict) -> dict:
        raw = self.data.get(self.add_prefix(OPENED_FIELD), "")
        if not raw:  # a client that never read the form (an API call, an old page): the stored row
            return {name: fingerprint(value) for name, value in stored.items()}
        try:
            return signing.loads(raw, salt=self._salt)
        except signing.BadSignature:
            return None

    def changes_since(self, stored_instance) -> dict | None:
        stored = self.opened_values(stored_instance)
        opened = self._opened(stored)
        if opened is None:
            self.add_error(None, _("This form could not be read; open the page again."))
            return None
        submitted = self.submitted_values()
        changed = {name: value for name, value in submitted.items()
                   if name in stored and fingerprint(value) != opened.get(name)}  # fmt: skip
        conflicts = [name for name, value in changed.items()
                     if fingerprint(stored[name]) not in (opened.get(name), fingerprint(value))]  # fmt: skip
        if not conflicts:
            return changed
        for name in conflicts:
            self.report_conflict(name, stored[name], changed[name])
            opened[name] = fingerprint(stored[name])
        self.data = self.data.copy()
        self.data[self.add_prefix(OPENED_FIELD)] = signing.dumps(opened, salt=self._salt, compress=True)
        return None

    def report_conflict(self, name, stored, yours) -> None:
        field = self.fields.get(name)
        self.add_error(name if field is not None else None, conflict_message(field, stored, yours))
