import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_INTL_MOBILE = re.compile(r"^\+\d{7,15}$")
_LANDLINE = re.compile(r"^\+?[\d\-() ]{6,24}(\s*(转|ext\.?|x)\s*\d{1,6})?$", re.IGNORECASE)


def normalise_mobile(value: str) -> str:
    """Store a Chinese mobile as its 11 digits, any other as +country digits."""
    value = _SEPARATORS.sub("", value or "")
    if value.startswith("0086"):
        value = "+86" + value[4:]
    if value.startswith("+86"):
        value = value[3:]
    return value


def validate_mobile(value: str) -> None:
    if value and not (_CN_MOBILE.match(value) or _INTL_MOBILE.match(value)):
        raise ValidationError(
            _("Enter a mobile number of 11 digits starting with 1, or an international number starting with +."),
            code="invalid_mobile",
        )


def validate_landline(value: str) -> None:
    if value and not _LANDLINE.match(value.strip()):
        raise ValidationError(
            _("Enter a telephone number with digits, spaces or dashes, e.g. 010-65881234."),
            code="invalid_landline",
        )
