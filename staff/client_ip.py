"""The client's address, for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind the TLS proxy every request comes from the proxy's address, so locking by
REMOTE_ADDR would lock an account for every tablet at once. KESHI_TRUSTED_PROXY_COUNT says
how many proxies stand in front of the app; each appends the address it saw to
X-Forwarded-For, so the client is the N-th entry from the right. Anything further left was
written by the client and is ignored. With 0 (the default) the header is never read.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.KESHI_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded.strip():
        return remote
    chain = [entry.strip() for entry in forwarded.split(",")]
    # Fewer entries than proxies: the request skipped an outer proxy; the left-most entry
    # was still written by a trusted one.
    candidate = chain[-count] if len(chain) >= count else chain[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
