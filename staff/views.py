from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from .setup import setup_items

# Who sets the hotel up: the admin role (a manager does not hold it), and superusers.
SETUP_PERMISSION = "staff.change_outlet"


@permission_required(SETUP_PERMISSION, raise_exception=True)
def setup(request):
    items = setup_items()
    todo = [item for item in items if not item.done]
    done = [item for item in items if item.done]
    return render(request, "staff/setup.html", {"todo": todo, "done": done})
