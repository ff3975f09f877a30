"""The signature as receivers check it: HMAC-SHA256 over f"{timestamp}." and the raw body, hex, "v1="."""

import hashlib
import hmac
import time

from webhooks.signing import signature, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"6f1c","type":"guest.updated","occurred_at":"2026-12-03T08:00:00+08:00","data":{}}'


def test_the_signature_is_the_documented_hmac_of_the_timestamp_a_dot_and_the_body():
    expected = hmac.new(SECRET.encode(), b"1764720000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1764720000, BODY) == f"v1={expected}"


def test_a_fresh_signature_verifies():
    now = int(time.time())
    assert verify_signature(SECRET, str(now), BODY, signature(SECRET, now, BODY))


def test_a_tampered_body_another_secret_or_another_timestamp_fails():
    now = int(time.time())
    header = signature(SECRET, now, BODY)
    assert not verify_signature(SECRET, now, BODY.replace(b"guest", b"gvest"), header)
    assert not verify_signature("whsec_other", now, BODY, header)
    assert not verify_signature(SECRET, now - 1, BODY, header)


def test_an_old_or_future_timestamp_fails_even_when_signed_right():
    old, future = int(time.time()) - 301, int(time.time()) + 301
    assert not verify_signature(SECRET, old, BODY, signature(SECRET, old, BODY))
    assert not verify_signature(SECRET, future, BODY, signature(SECRET, future, BODY))
    assert verify_signature(SECRET, old, BODY, signature(SECRET, old, BODY), tolerance=400)


def test_a_missing_or_malformed_header_or_timestamp_fails():
    now = int(time.time())
    good = signature(SECRET, now, BODY)
    for timestamp, header in [(now, ""), (now, None), (now, good.replace("v1=", "v0=")), (now, good[3:]),
                              ("", good), ("soon", good), (None, good)]:  # fmt: skip
        assert not verify_signature(SECRET, timestamp, BODY, header)
