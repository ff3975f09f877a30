"""Writes on staff accounts that the admin pages and the management commands share."""

from . import roles
from .models import User


def user_staff_status_sync(*, user: User) -> bool:
    """Staff status (what opens the Django admin) follows the admin role: given with it, taken with it,
    kept by a superuser. Without this an admin given the role still met a login page at /admin/, and
    nothing on the screen said why. Returns the status now held."""
    wanted = user.is_superuser or user.groups.filter(name=roles.ADMIN).exists()
    if user.is_staff != wanted:
        user.is_staff = wanted
        user.save(update_fields=["is_staff"])
    return wanted
