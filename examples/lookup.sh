#!/bin/sh
# Who is calling? The whole number (with or without +86, spaces, dashes) or its last four digits.
#   KESHI_URL=https://keshi.hotel.example KESHI_API_KEY=... sh examples/lookup.sh 13812345678
# The key needs the scope lookup.
set -eu
: "${KESHI_URL:?Set KESHI_URL to KeShi's address, e.g. https://keshi.hotel.example}"
: "${KESHI_API_KEY:?Set KESHI_API_KEY to the client's key (it is shown once, when issued)}"
phone=${1:?Give the caller\'s number, e.g. sh examples/lookup.sh 13812345678}

curl --silent --show-error --fail-with-body --get \
  -H "Authorization: Api-Key $KESHI_API_KEY" \
  -H "Accept-Language: zh-hans" \
  --data-urlencode "phone=$phone" "$KESHI_URL/api/v1/lookup"
echo
