"""Server errors reported to people outside the archive, without the archive's data.

Two optional channels: a mail to DJANGO_ADMINS on every server error (Django's
AdminEmailHandler on django.request, see crm.logs.logging_config), and Sentry when
SENTRY_DSN is set. Both carry the traceback and which page failed, never what was typed or
looked up: a mail to IT or a third-party service is no place for a guest's phone number.

- PrivateExceptionReporterFilter (DEFAULT_EXCEPTION_REPORTER_FILTER) hides every POSTed value,
  every local variable of the traceback (a view's locals hold the guest and the form), every
  cookie (the session id would let a reader log in as the staff member) and the request
  headers that repeat the query string; settings stay hidden as Django hides them.
- PrivateExceptionReporter (DEFAULT_EXCEPTION_REPORTER) leaves the query string out of the URL
  and the GET values out of the report, and masks numbers in the exception's message (a unique
  constraint's error repeats the value).
- Sentry (crm.sentry) is initialised with send_default_pii off, no request bodies, no local
  variables, and drops the query string and cookies.
"""

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from crm.logs import mask_numbers

# Request headers a report may show as they are; every other one is hidden.
SHOWN_META = frozenset(
    {
        "REQUEST_METHOD",
        "PATH_INFO",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_HOST",
        "HTTP_USER_AGENT",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_HX_REQUEST",
        "REMOTE_ADDR",
        "wsgi.url_scheme",
    }
)


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_cookies(self, request):
        if not hasattr(request, "COOKIES"):
            return {}
        return {key: self.cleansed_substitute for key in request.COOKIES}

    def get_safe_request_meta(self, request):
        if not hasattr(request, "META"):
            return {}
        return {
            key: self.cleanse_setting(key, value) if key in SHOWN_META else self.cleansed_substitute
            for key, value in request.META.items()
        }


class PrivateExceptionReporter(ExceptionReporter):
    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            substitute = self.filter.cleansed_substitute
            data["request_GET_items"] = [(key, substitute) for key in self.request.GET]
            data["request_insecure_uri"] = data["request_insecure_uri"].split("?", 1)[0]
        if "exception_value" in data:
            data["exception_value"] = mask_numbers(data["exception_value"])
        return data
