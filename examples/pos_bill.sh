#!/bin/sh
# Send one closed bill from the POS to KeShi: it becomes the guest's visit (POST /api/v1/visits).
#   KESHI_URL=https://keshi.hotel.example KESHI_API_KEY=... sh examples/pos_bill.sh
# The key needs the scope visits:write (and, if its client is bound to outlets, the outlet YF).
# Sending the same bill number again is safe: KeShi answers with the bill it already has (200, not 201).
set -eu
: "${KESHI_URL:?Set KESHI_URL to KeShi's address, e.g. https://keshi.hotel.example}"
: "${KESHI_API_KEY:?Set KESHI_API_KEY to the POS client's key (it is shown once, when issued)}"

curl --silent --show-error --fail-with-body \
  -H "Authorization: Api-Key $KESHI_API_KEY" \
  -H "Content-Type: application/json" \
  -H "Accept-Language: zh-hans" \
  --data @- "$KESHI_URL/api/v1/visits" <<'BILL'
{
  "outlet": "YF",
  "room": "A01",
  "bill_number": "YF-20261201-0042",
  "opened_at": "2026-12-01T18:05:00+08:00",
  "closed_at": "2026-12-01T20:40:00+08:00",
  "party_size": 6,
  "items": [
    {"dish": "佛跳墙", "quantity": 2, "amount": "1376.00"},
    {"dish": "清蒸石斑", "quantity": 1, "amount": "488.00"}
  ],
  "drinks": "茅台一瓶",
  "total": "3288.00",
  "payment_method": "card",
  "guest": {"mobile": "13812345678"}
}
BILL
echo
