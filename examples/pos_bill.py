"""Send one closed bill from the POS to KeShi: it becomes the guest's visit (POST /api/v1/visits).

    KESHI_URL=https://keshi.hotel.example KESHI_API_KEY=... python3 examples/pos_bill.py

The key needs the scope visits:write. Sending the same bill number again is safe: KeShi answers 200 with the
bill it already has, so a POS may retry after a timeout. Needs `requests`.
"""

import os
import sys

import requests

BILL = {
    "outlet": "YF",  # the outlet's code, as set on the outlet in KeShi's admin
    "room": "A01",  # the room's or table's code; leave out for a bill with no table
    "bill_number": "YF-20261201-0042",  # unique per outlet
    "opened_at": "2026-12-01T18:05:00+08:00",
    "closed_at": "2026-12-01T20:40:00+08:00",
    "party_size": 6,
    "items": [
        {"dish": "佛跳墙", "quantity": 2, "amount": "1376.00"},
        {"dish": "清蒸石斑", "quantity": 1, "amount": "488.00"},
    ],
    "drinks": "茅台一瓶",
    "total": "3288.00",
    "payment_method": "card",
    "guest": {"mobile": "13812345678"},  # or {"card_no": "KS000123"}
}


def main() -> int:
    url, key = os.environ.get("KESHI_URL", "").rstrip("/"), os.environ.get("KESHI_API_KEY", "")
    if not url or not key:
        sys.exit("Set KESHI_URL (KeShi's address) and KESHI_API_KEY (the POS client's key).")
    try:
        response = requests.post(f"{url}/api/v1/visits", json=BILL, timeout=10,
                                 headers={"Authorization": f"Api-Key {key}", "Accept-Language": "zh-hans"})  # fmt: skip
    except requests.RequestException as error:
        sys.exit(f"KeShi could not be reached at {url}: {error.__class__.__name__}")
    if response.status_code not in (200, 201):
        # A refusal is problem details: `detail` says why, `errors` names the fields.
        problem = response.json() if "json" in response.headers.get("Content-Type", "") else {}
        sys.exit(f"KeShi refused the bill ({response.status_code}): {problem.get('detail', response.reason)} "
                 f"{problem.get('errors', '')}".rstrip())  # fmt: skip
    bill = response.json()
    state = "new" if response.status_code == 201 else "already received"
    print(f"Bill {bill['bill_number']} ({state}): {bill['status']}, visit {bill['visit']}, guest {bill['guest']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
