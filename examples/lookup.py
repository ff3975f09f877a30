"""Who is calling? Ask KeShi with the whole number (with or without +86) or its last four digits.

    KESHI_URL=https://keshi.hotel.example KESHI_API_KEY=... python3 examples/lookup.py 13812345678

The key needs the scope lookup. Needs `requests`.
"""

import os
import sys

import requests


def main(argv: list[str]) -> int:
    url, key = os.environ.get("KESHI_URL", "").rstrip("/"), os.environ.get("KESHI_API_KEY", "")
    if not url or not key:
        sys.exit("Set KESHI_URL (KeShi's address) and KESHI_API_KEY (the client's key).")
    if len(argv) != 1:
        sys.exit("Give the caller's number, e.g. python3 examples/lookup.py 13812345678")
    try:
        response = requests.get(f"{url}/api/v1/lookup", params={"phone": argv[0]}, timeout=5,
                                headers={"Authorization": f"Api-Key {key}", "Accept-Language": "zh-hans"})  # fmt: skip
    except requests.RequestException as error:
        sys.exit(f"KeShi could not be reached at {url}: {error.__class__.__name__}")
    if response.status_code != 200:
        problem = response.json() if "json" in response.headers.get("Content-Type", "") else {}
        sys.exit(f"KeShi refused the lookup ({response.status_code}): {problem.get('detail', response.reason)}")
    found = response.json()
    if not found["matches"]:
        print("Not in the archive: a new guest.")
    for match in found["matches"]:
        guest, caller = match["guest"], match["books_for"]
        who = f" (calls for them: {caller['name']}, {caller['relation']})" if caller else ""
        print(f"{guest['honorific']} {guest['card_no']} tier {guest['tier']}{who}")
        if guest["taboos"] or guest["allergies"]:
            print(f"  taboos: {', '.join(guest['taboos'] + guest['allergies'])}")
        if guest["next_booking"]:
            booking = guest["next_booking"]
            print(
                f"  booked: {booking['date']} {booking['arrival_time']} {booking['outlet']} {', '.join(booking['rooms'])}"
            )
    if found["more"]:
        print("More guests have these digits: give more of the number.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
