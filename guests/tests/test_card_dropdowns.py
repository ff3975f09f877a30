"""The blank card offers every field with a fixed set of values as a drop-down, in the language of
whoever downloads it, and a card filled from those drop-downs imports."""

import pytest
from django.urls import reverse

from guests.models import Guest
from guests.tests.card_helpers import confirm, download, labels_of, last_transfer, load, save, upload

pytestmark = pytest.mark.django_db


def drop_downs(ws) -> dict[str, list[str]]:
    """Cell → the choices of the list validation covering it."""
    found = {}
    for validation in ws.data_validations.dataValidation:
        choices = validation.formula1.strip('"').split(",")
        for cell_range in validation.sqref.ranges:
            found[cell_range.coord] = choices
    return found


@pytest.mark.parametrize(
    ("language", "source", "gender", "consent"),
    [("zh-hans", "自行到店", "男", "是"), ("en", "Walk-in", "M", "Y")],
)
def test_the_blank_card_offers_the_choices_of_every_fixed_field_in_the_downloaders_language(
    client_for, front_desk, language, source, gender, consent
):
    response = client_for(front_desk).get(reverse("guests:card_template"), HTTP_ACCEPT_LANGUAGE=language)
    ws = load(download(response)).worksheets[0]
    cells, lists = labels_of(ws), drop_downs(ws)
    by_label = {label.split(" ")[0]: cell.coordinate for label, cell in cells.items()}
    assert source in lists[by_label["来源"]]
    assert gender in lists[by_label["性别"]]
    assert consent in lists[by_label["同意接收问候"]]
    assert lists[by_label["客户类别"]] == ["A", "B", "C"]
    assert by_label["姓名"] not in lists  # a free field has none
    # The relation column of the related-people table, on its blank rows.
    assert any("Driver" in choices or "司机" in choices for choices in lists.values())


def test_a_blank_card_filled_from_its_drop_downs_imports(client_for, admin_user, django_capture_on_commit_callbacks):
    client = client_for(admin_user)
    workbook = load(download(client.get(reverse("guests:card_template"))))
    ws = workbook.worksheets[0]
    cells, lists = labels_of(ws), drop_downs(ws)
    by_label = {label.split(" ")[0]: cell for label, cell in cells.items()}
    by_label["姓名"].value = "欧阳建国"
    for label in ("来源", "性别", "吸烟", "结账方式", "单位性质", "同意接收问候"):
        by_label[label].value = lists[by_label[label].coordinate][0]
    upload(client, django_capture_on_commit_callbacks, save(workbook))
    transfer = last_transfer()
    assert transfer.status == "checked", transfer.result
    confirm(client, django_capture_on_commit_callbacks, transfer)
    guest = Guest.objects.get(name="欧阳建国")
    assert (guest.source, guest.gender, guest.greeting_consent) == (Guest.Source.WALK_IN, "M", True)


def test_a_choice_not_on_the_list_is_explained_with_the_choices_in_the_users_language(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    workbook = load(download(client.get(reverse("guests:card_template"))))
    ws = workbook.worksheets[0]
    by_label = {label.split(" ")[0]: cell for label, cell in labels_of(ws).items()}
    by_label["姓名"].value = "欧阳建国"
    by_label["来源"].value = "路过"
    page = upload(client, django_capture_on_commit_callbacks, save(workbook))
    text = page.content.decode()
    assert "自行到店" in text and "Walk-in" not in text
    assert not Guest.objects.exists()
