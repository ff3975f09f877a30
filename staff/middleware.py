"""Sessions on shared tablets.

A session ends after KESHI_SESSION_IDLE_TIMEOUT seconds without a request, and at the
latest SESSION_COOKIE_AGE after it began: the first request of a session fixes its expiry
as a date, so the activity stamp, written at most once a minute, never extends it.
"""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_ACTIVITY = "keshi_last_activity"
STARTED = "keshi_session_started"
WRITE_EVERY = 60  # seconds: the stamp's precision, and how often the session is written for it


PASSIVE_HEADER = "X-KeShi-Passive"


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and self.idle_or_stamp(request):
            logout(request)
            messages.info(request, _("You were logged out after a while without activity. Please log in again."))
            if request.headers.get("HX-Request") == "true":
                # A live search or a poll on a page left open: the whole page goes to the login,
                # rather than the login form being swapped into a part of it.
                current = urlsplit(request.headers.get("HX-Current-URL", ""))
                response = HttpResponse()
                response["HX-Redirect"] = redirect_to_login(current.path or "/").url
                return response
        return self.get_response(request)

    def idle_or_stamp(self, request):
        """True if the session has been idle too long; otherwise this request is its activity."""
        session, now = request.session, int(time.time())
        last = session.get(LAST_ACTIVITY)
        if last is not None and now - last > settings.KESHI_SESSION_IDLE_TIMEOUT:
            return True
        if STARTED not in session:
            session[STARTED] = now
            session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
        # A poll the page makes by itself (the call pop-up) is nobody's activity: it must not keep an
        # unattended desk logged in.
        passive = request.headers.get(PASSIVE_HEADER) == "1"
        if not passive and (last is None or now - last >= WRITE_EVERY):
            session[LAST_ACTIVITY] = now
        return False


class RelaxedPolicyMiddleware:
    """Relaxes the Content-Security-Policy on the few third-party admin pages that still carry
    inline code (KESHI_CSP_RELAXED_PATHS: a path pattern and the sources it adds); every other
    response keeps the strict policy. It sits below django-csp's middleware, which reads the
    additions from the response as its own @csp_update decorator would leave them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.relaxed = [(re.compile(pattern), sources) for pattern, sources in settings.KESHI_CSP_RELAXED_PATHS]

    def __call__(self, request):
        response = self.get_response(request)
        for pattern, sources in self.relaxed:
            if pattern.match(request.path_info):
                response._csp_update = sources
                break
        return response
