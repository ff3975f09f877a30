import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Service messages follow the active language; these tests read them in English."""
    with translation.override("en"):
        yield
