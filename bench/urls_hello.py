"""The application's URLs and one more, for the benchmarks only: /bench/hello/, a view that answers a few
bytes through the whole middleware (session, login, CSP, ...) — Django's floor, beside which the lookup's
own cost is a ratio (bench/lookup.py). Never mounted in production: bench/settings_hello.py names it."""

from django.http import HttpResponse
from django.urls import path

from crm.urls import urlpatterns as application


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [*application, path("bench/hello/", hello, name="bench_hello")]
