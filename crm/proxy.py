"""Forwarded headers are believed only from the proxies named in KESHI_TRUSTED_PROXIES.

Django reads X-Forwarded-Proto for is_secure() (SECURE_PROXY_SSL_HEADER), and
staff/client_ip.py reads X-Forwarded-For for the login throttle. Anyone who reaches
gunicorn without going through the TLS proxy could write those headers and pass for a
secure request or for another address. TrustedProxyMiddleware, first in MIDDLEWARE, removes
them from a request whose connecting address is not a trusted proxy, before anything reads
them. gunicorn's forwarded_allow_ips (deploy/gunicorn.conf.py) reads the same variable.

A connection on a unix socket has no address (REMOTE_ADDR is empty under gunicorn): only the
processes allowed to open the socket file reach it, so it counts as trusted, as gunicorn
counts it too.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)


def trusted_networks(entries) -> tuple[Network, ...]:
    """KESHI_TRUSTED_PROXIES as networks: addresses ('127.0.0.1') or CIDRs ('10.0.0.0/24')."""
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"KESHI_TRUSTED_PROXIES: {entry!r} is neither an IP address nor a network such as 10.0.0.0/24."
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return trusted_networks(entries)


def is_trusted_proxy(remote_addr: str | None, entries) -> bool:
    if not remote_addr:
        return True  # a unix socket (see the module's docstring)
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(entries)))


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR"), settings.KESHI_TRUSTED_PROXIES):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
