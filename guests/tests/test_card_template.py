"""The blank card template is a form with no one's data on it: downloading it writes nothing."""

import pytest
from django.apps import apps
from django.urls import reverse

from guests.tests.card_helpers import download, load

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@pytest.mark.parametrize("role", ["front_desk", "waiter", "manager", "admin_user"])
def test_downloading_the_blank_template_writes_no_row_anywhere(request, client_for, role):
    client = client_for(request.getfixturevalue(role))
    client.get(reverse("guests:card_import"))  # the session and anything a first page writes, before counting
    before = row_counts()
    for _ in range(2):
        response = client.get(reverse("guests:card_template"))
        assert response.status_code == 200
        assert load(download(response)).worksheets
    assert row_counts() == before
