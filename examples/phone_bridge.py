"""A bridge from an Asterisk PBX to KeShi: it reads the calls from the Asterisk Manager Interface (AMI) and
reports each to POST /api/v1/calls, so the caller's card pops up on the desk and a missed call is listed for a
call-back. Standard library only.

    KESHI_URL=https://keshi.hotel.example KESHI_API_KEY=... \\
    AMI_HOST=pbx.hotel.lan AMI_USER=keshi AMI_SECRET=... python3 examples/phone_bridge.py

Environment: KESHI_URL, KESHI_API_KEY (a key with the scope calls:write), AMI_HOST, AMI_PORT (5038),
AMI_USER, AMI_SECRET, and AMI_CONTEXT to take only the calls that come in through one dialplan context (e.g.
from-pstn; by default every call with a caller number). In Asterisk's manager.conf the user needs
`read = call`.

A call is reported once it is settled: when the caller's channel is answered (ChannelState 6, "Up"), as
answered; when it hangs up without having been answered, as missed. The channel's Linkedid is the call_id,
so a report sent again after a timeout is recorded once. Runs until stopped, and logs in again when the PBX
goes away; --once stops when the AMI connection closes instead.
"""

import datetime
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

UP = "6"  # AMI ChannelState of an answered channel


def read_message(stream) -> dict | None:
    """One AMI message (lines of `Key: Value`, ended by an empty line); None when the connection closes."""
    message = {}
    for raw in stream:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if message:
                return message
            continue
        key, _sep, value = line.partition(":")
        message[key.strip()] = value.strip()
    return None


class Keshi:
    def __init__(self, url: str, key: str):
        self.url, self.key = url.rstrip("/"), key

    def report(self, *, number: str, line: str, at: datetime.datetime, answered: bool, call_id: str) -> None:
        body = json.dumps({"number": number, "line": line[:40], "at": at.isoformat(), "answered": answered,
                           "call_id": call_id[:80]}).encode()  # fmt: skip
        request = urllib.request.Request(f"{self.url}/api/v1/calls", data=body, method="POST", headers={
            "Authorization": f"Api-Key {self.key}", "Content-Type": "application/json"})  # fmt: skip
        for attempt in range(3):  # the call_id makes a retry safe
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    reply = json.load(response)
                state = "answered" if answered else "missed"
                who = reply["guest"]["honorific"] if reply["known"] else "not in the archive"
                log(f"call from {number} on {line or '-'} ({state}) reported: {who}")
                return
            except urllib.error.HTTPError as error:
                detail = _problem_detail(error)
                if error.code < 500 and error.code != 429:
                    log(f"KeShi refused the call from {number} ({error.code}): {detail}")
                    return
                log(f"KeShi answered {error.code} for the call from {number}: {detail}; trying again")
            except (urllib.error.URLError, OSError) as error:
                log(f"KeShi could not be reached at {self.url} ({getattr(error, 'reason', error)}); trying again")
            time.sleep(2**attempt)
        log(f"gave up reporting the call from {number}")


def _problem_detail(error: urllib.error.HTTPError) -> str:
    try:
        return json.load(error).get("detail", error.reason)
    except ValueError:
        return str(error.reason)


class Calls:
    """Follows the channels of each call (by Linkedid) and reports the call once it is settled."""

    def __init__(self, keshi: Keshi, context: str = ""):
        self.keshi, self.context = keshi, context
        self.open: dict[str, dict] = {}  # Linkedid -> the call

    def event(self, message: dict) -> None:
        name, linked = message.get("Event"), message.get("Linkedid") or message.get("Uniqueid", "")
        if name == "Newchannel" and message.get("Uniqueid") == linked:  # the caller's own channel
            number = message.get("CallerIDNum", "")
            if not number or number == "<unknown>" or (self.context and message.get("Context") != self.context):
                return
            self.open[linked] = {"number": number, "line": message.get("Exten") or message.get("Channel", ""),
                                 "at": datetime.datetime.now(datetime.UTC), "answered": False}  # fmt: skip
        elif name == "Newstate" and message.get("ChannelState") == UP and message.get("Uniqueid") == linked:
            call = self.open.get(linked)
            if call and not call["answered"]:
                call["answered"] = True
                self.keshi.report(**call, call_id=linked)
        elif name == "Hangup" and message.get("Uniqueid") == linked:
            call = self.open.pop(linked, None)
            if call and not call["answered"]:
                self.keshi.report(**call, call_id=linked)


def log(text: str) -> None:
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M:%S} {text}", file=sys.stderr, flush=True)


def follow(host: str, port: int, user: str, secret: str, calls: Calls) -> None:
    """Log in to the AMI and hand each event to `calls` until the connection closes."""
    with socket.create_connection((host, port), timeout=10) as connection:
        stream = connection.makefile("rb")
        banner = stream.readline().decode(errors="replace").strip()
        if not banner.startswith("Asterisk Call Manager"):
            raise ConnectionError(f"{host}:{port} is not an Asterisk manager interface (it said {banner!r})")
        connection.sendall(f"Action: Login\r\nActionID: keshi-login\r\nUsername: {user}\r\nSecret: {secret}\r\n"
                           "Events: call\r\n\r\n".encode())  # fmt: skip
        reply = read_message(stream)
        while reply is not None and "Response" not in reply:  # an event that came before the answer
            reply = read_message(stream)
        if not reply or reply.get("Response") != "Success":
            raise PermissionError(f"The AMI refused the login of {user!r}: {(reply or {}).get('Message', 'no answer')}")
        log(f"logged in to the AMI at {host}:{port} as {user}")
        connection.settimeout(None)
        while (message := read_message(stream)) is not None:
            if "Event" in message:
                calls.event(message)
    log("the AMI closed the connection")


def main(argv: list[str]) -> int:
    needed = ["KESHI_URL", "KESHI_API_KEY", "AMI_HOST", "AMI_USER", "AMI_SECRET"]
    missing = [name for name in needed if not os.environ.get(name)]
    if missing:
        sys.exit(f"Set {', '.join(missing)} (see the top of {sys.argv[0]}).")
    env = os.environ
    calls = Calls(Keshi(env["KESHI_URL"], env["KESHI_API_KEY"]), env.get("AMI_CONTEXT", ""))
    port = int(env.get("AMI_PORT", "5038"))
    while True:
        try:
            follow(env["AMI_HOST"], port, env["AMI_USER"], env["AMI_SECRET"], calls)
        except PermissionError as error:
            sys.exit(str(error))  # a wrong user or secret does not get better by trying again
        except (ConnectionError, OSError) as error:
            log(f"no connection to the AMI at {env['AMI_HOST']}:{port}: {error}")
            if "--once" in argv:
                return 1
        if "--once" in argv:
            return 0
        time.sleep(5)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
