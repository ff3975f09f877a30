"""How a delivery is signed, and how a receiver checks it (copy verify_signature into the receiver).

Every POST carries

    KeShi-Timestamp: <unix seconds, an integer>
    KeShi-Signature: v1=<hex HMAC-SHA256 of f"{timestamp}." + the raw body, keyed with the secret>

The secret is the subscription's, as the admin was shown it. The timestamp is inside the signed bytes,
so a captured request cannot be replayed later with a new one; a receiver refuses timestamps further
than `tolerance` seconds from its clock, and de-duplicates by the KeShi-Event-Id header (a delivery
may arrive more than once).
"""

import hashlib
import hmac
import time


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The KeShi-Signature header's value."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_signature(secret: str, timestamp: str | int, body: bytes, header: str, tolerance: int = 300) -> bool:
    """True when `header` (KeShi-Signature) signs `body` (the raw bytes received, before any JSON
    parsing) at `timestamp` (KeShi-Timestamp) with `secret`, and the timestamp is within `tolerance`
    seconds of now."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - sent) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{sent}.".encode() + body, hashlib.sha256).hexdigest()
    scheme, _, given = (header or "").strip().partition("=")
    return scheme == "v1" and hmac.compare_digest(given.strip(), expected)
