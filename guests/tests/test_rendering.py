"""The lookup's result rows: what the front desk sees for each guest, safely escaped."""

import pytest
from django.urls import reverse

from guests.rendering import guest_rows
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def test_a_row_shows_tier_greeting_company_taboos_masked_mobile_and_links_to_the_profile():
    guest = GuestFactory(name="张伟", honorific="张总", tier="A", title="董事长", taboos="不吃香菜", allergies="花生")
    html = guest_rows([guest])
    assert f'href="{reverse("guests:profile", args=[guest.pk])}"' in html
    assert 'tier-a"' in html and ">A</span>" in html
    assert "张总" in html and "张伟" in html and "北京华信科技有限公司 · 董事长" in html
    assert "⚠ 不吃香菜；花生" in html
    assert f"{guest.mobile[:3]}****{guest.mobile[-4:]}" in html and guest.mobile not in html


def test_every_value_is_escaped():
    guest = GuestFactory(name="<script>x</script>", honorific="", company="A&B <b>")
    html = guest_rows([guest])
    assert "<script>" not in html and "&lt;script&gt;" in html and "A&amp;B &lt;b&gt;" in html
