"""The integration examples in examples/ run for real, as the README's Integrations section shows them: the
curl and Python examples against a live server with a seeded key, the webhook receiver with a signed delivery
(and a tampered, a stale and a repeated one), and the phone bridge against a fake Asterisk manager interface.
"""

import hashlib
import hmac
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from calls.models import PhoneCall
from guests.tests.factories import GuestFactory
from staff.clients import api_client_create
from visits.models import PosBill
from visits.tests.factories import outlet, room

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# Every database: the live server reads the replica (a mirror of the primary in tests) where it may.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def keshi(live_server):
    """The examples' outlet YF with its table A01, their guest 张总 (13812345678), and a client with the scopes
    the examples need; the environment the examples read."""
    place = outlet()
    place.code = "YF"
    place.save()
    table = room("牡丹厅")
    table.code = "A01"
    table.save()
    guest = GuestFactory(honorific="张总", mobile="13812345678", taboos="不吃香菜")
    client, raw = api_client_create(actor=None, name="examples", kind="pos", scopes=["visits:write", "lookup",
                                    "calls:write"])  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "KESHI_URL": live_server.url, "KESHI_API_KEY": raw, "PYTHONIOENCODING": "utf-8"}
    return {"env": env, "guest": guest, "client": client, "key": raw}


def run(*args, env, timeout=60):
    return subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def python():
    return sys.executable


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_bill_becomes_the_guest_s_visit_and_sending_it_again_is_the_same_bill(keshi):
    first = run("sh", EXAMPLES / "pos_bill.sh", env=keshi["env"])
    assert first.returncode == 0, first.stderr
    bill = json.loads(first.stdout)
    assert bill["status"] == "matched" and bill["guest"] == keshi["guest"].card_no
    again = run("sh", EXAMPLES / "pos_bill.sh", env=keshi["env"])
    assert json.loads(again.stdout)["id"] == bill["id"]
    stored = PosBill.objects.get()
    assert (stored.bill_number, stored.visit.guest, stored.visit.party_size) == ("YF-20261201-0042", keshi["guest"], 6)


def test_the_python_bill_becomes_the_guest_s_visit(keshi):
    done = run(python(), EXAMPLES / "pos_bill.py", env=keshi["env"])
    assert done.returncode == 0, done.stderr
    assert f"YF-20261201-0042 (new): matched, visit {PosBill.objects.get().visit_id}, guest" in done.stdout
    again = run(python(), EXAMPLES / "pos_bill.py", env=keshi["env"])
    assert "(already received)" in again.stdout and PosBill.objects.count() == 1


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_lookup_finds_the_caller_by_the_last_four_digits(keshi):
    done = run("sh", EXAMPLES / "lookup.sh", "5678", env=keshi["env"])
    assert done.returncode == 0, done.stderr
    [match] = json.loads(done.stdout)["matches"]
    assert match["guest"]["card_no"] == keshi["guest"].card_no and match["guest"]["taboos"] == ["不吃香菜"]


def test_the_python_lookup_prints_the_honorific_the_card_and_the_taboos(keshi):
    done = run(python(), EXAMPLES / "lookup.py", "+86 138 1234 5678", env=keshi["env"])
    assert done.returncode == 0, done.stderr
    assert f"张总 {keshi['guest'].card_no} tier" in done.stdout and "taboos: 不吃香菜" in done.stdout
    unknown = run(python(), EXAMPLES / "lookup.py", "13900000000", env=keshi["env"])
    assert "Not in the archive" in unknown.stdout


@pytest.mark.parametrize("script", ["pos_bill.py", "lookup.py", "pos_bill.sh", "lookup.sh"])
def test_the_examples_say_what_is_missing_or_refused_and_never_print_the_key(keshi, script):
    command = ("sh" if script.endswith(".sh") else python(), EXAMPLES / script, "5678")
    if script.endswith(".sh") and shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    unset = run(*command, env={k: v for k, v in keshi["env"].items() if k != "KESHI_API_KEY"})
    assert unset.returncode != 0 and "KESHI_API_KEY" in unset.stderr
    wrong_key = keshi["key"][:-4] + "xxxx"
    wrong = run(*command, env=keshi["env"] | {"KESHI_API_KEY": wrong_key})
    assert wrong.returncode != 0 and "401" in wrong.stderr + wrong.stdout
    secret = keshi["key"].partition(".")[2]
    for result in (unset, wrong):
        assert secret not in result.stdout + result.stderr and secret[:-4] not in result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def receiver(tmp_path):
    """examples/verify_webhook.py listening on a free port, with a secret and its own SQLite file."""
    port, secret = free_port(), "whsec-test-secret"
    env = {"PATH": "/usr/bin:/bin", "KESHI_WEBHOOK_SECRET": secret, "PORT": str(port),
           "KESHI_WEBHOOK_DB": str(tmp_path / "seen.sqlite3"), "PYTHONIOENCODING": "utf-8"}  # fmt: skip
    process = subprocess.Popen([python(), str(EXAMPLES / "verify_webhook.py")], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "Listening" in process.stdout.readline()
    yield f"http://127.0.0.1:{port}/", secret, process
    process.terminate()
    process.wait(timeout=10)


def deliver(url, secret, event, *, timestamp=None, body=None, signature=None):
    """A delivery as KeShi sends it: the JSON event, its id and type, the time and the v1 signature."""
    raw = json.dumps(event, ensure_ascii=False).encode() if body is None else body
    sent = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{sent}.".encode() + raw, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=raw, method="POST", headers={
        "Content-Type": "application/json", "KeShi-Event-Id": event["id"], "KeShi-Event": event["type"],
        "KeShi-Timestamp": str(sent), "KeShi-Signature": signature or f"v1={signed}"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def event(**data):
    return {"id": str(uuid.uuid4()), "type": "booking.created", "occurred_at": "2026-12-03T10:00:00+08:00",
            "data": data or {"id": 12, "guest": "KS000001", "outlet": "YF", "rooms": ["A01"]}}  # fmt: skip


def test_the_webhook_receiver_takes_a_signed_event_once_and_refuses_a_tampered_or_stale_one(receiver):
    url, secret, process = receiver
    signed = event()
    assert deliver(url, secret, signed) == (200, "ok")
    assert deliver(url, secret, signed) == (200, "duplicate")  # a retry: acknowledged, not handled again
    raw = json.dumps(event(), ensure_ascii=False).encode()
    tampered = raw.replace(b"KS000001", b"KS000002")
    good = hmac.new(secret.encode(), f"{int(time.time())}.".encode() + raw, hashlib.sha256).hexdigest()
    assert deliver(url, secret, json.loads(raw), body=tampered, signature=f"v1={good}")[0] == 401
    assert deliver(url, secret, event(), timestamp=int(time.time()) - 6 * 60)[0] == 401
    assert deliver(url, "another secret", event())[0] == 401
    process.terminate()
    out, _err = process.communicate(timeout=10)
    assert out.count("booking.created") == 1 and signed["id"] in out


class FakeAmi(threading.Thread):
    """An Asterisk manager interface on a free port: the banner, a login that succeeds for keshi/ami-secret,
    then the events of two calls, an answered one and a missed one, and the connection closed."""

    def __init__(self, events):
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port, self.events, self.login = self.server.getsockname()[1], events, {}

    def run(self):
        connection, _address = self.server.accept()
        with connection, connection.makefile("rb") as stream:
            connection.sendall(b"Asterisk Call Manager/9.0.0\r\n")
            while (line := stream.readline().decode().strip()) or not self.login:
                if line:
                    key, _sep, value = line.partition(": ")
                    self.login[key] = value
            ok = self.login.get("Username") == "keshi" and self.login.get("Secret") == "ami-secret"
            answer = "Success\r\nMessage: Authentication accepted" if ok else "Error\r\nMessage: Authentication failed"
            connection.sendall(f"Response: {answer}\r\nActionID: {self.login.get('ActionID', '')}\r\n\r\n".encode())
            if ok:
                for message in self.events:
                    connection.sendall(("".join(f"{k}: {v}\r\n" for k, v in message.items()) + "\r\n").encode())
        self.server.close()


def channel(event_name, uid, linked, **fields):
    return {"Event": event_name, "Privilege": "call,all", "Channel": f"PJSIP/trunk-{uid[-4:]}", "Uniqueid": uid,
            "Linkedid": linked} | fields  # fmt: skip


CALLS = [
    # 张总 rings the reservation line 8001; the desk's extension rings and answers.
    channel("Newchannel", "1733200000.10", "1733200000.10", ChannelState="0", ChannelStateDesc="Down",
            CallerIDNum="13812345678", CallerIDName="Zhang", Context="from-pstn", Exten="8001"),
    channel("Newchannel", "1733200000.11", "1733200000.10", ChannelState="0", CallerIDNum="8001",
            Context="from-internal", Exten="s"),
    channel("Newstate", "1733200000.11", "1733200000.10", ChannelState="6", ChannelStateDesc="Up"),
    channel("Newstate", "1733200000.10", "1733200000.10", ChannelState="6", ChannelStateDesc="Up"),
    channel("Hangup", "1733200000.11", "1733200000.10", Cause="16"),
    channel("Hangup", "1733200000.10", "1733200000.10", Cause="16"),
    # A stranger rings and hangs up before anyone answers: a missed call.
    channel("Newchannel", "1733200100.20", "1733200100.20", ChannelState="0", CallerIDNum="13900001111",
            Context="from-pstn", Exten="8001"),
    channel("Newstate", "1733200100.20", "1733200100.20", ChannelState="5", ChannelStateDesc="Ringing"),
    channel("Hangup", "1733200100.20", "1733200100.20", Cause="19"),
    # A call from inside the hotel, in another context: not the restaurant's.
    channel("Newchannel", "1733200200.30", "1733200200.30", ChannelState="0", CallerIDNum="6203",
            Context="from-internal", Exten="8001"),
    channel("Hangup", "1733200200.30", "1733200200.30", Cause="16"),
]  # fmt: skip


def bridge_env(keshi, ami, **extra):
    return keshi["env"] | {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(ami.port), "AMI_USER": "keshi",
                           "AMI_SECRET": "ami-secret", "AMI_CONTEXT": "from-pstn"} | extra  # fmt: skip


def test_the_phone_bridge_reports_an_answered_and_a_missed_call_from_the_ami_as_phone_calls(keshi):
    ami = FakeAmi(CALLS)
    ami.start()
    done = run(python(), EXAMPLES / "phone_bridge.py", "--once", env=bridge_env(keshi, ami))
    assert done.returncode == 0, done.stderr
    assert ami.login["Action"] == "Login" and ami.login["Events"] == "call"
    answered, missed = PhoneCall.objects.order_by("at")
    assert (answered.number, answered.line, answered.answered, answered.guest, answered.external_id) == (
        "13812345678", "8001", True, keshi["guest"], "1733200000.10")  # fmt: skip
    assert (missed.number, missed.answered, missed.guest, missed.client) == ("13900001111", False, None,
                                                                             keshi["client"])  # fmt: skip
    assert "call from 13812345678 on 8001 (answered) reported: 张总" in done.stderr
    assert keshi["key"] not in done.stdout + done.stderr and "ami-secret" not in done.stdout + done.stderr


def test_the_phone_bridge_stops_with_a_clear_message_on_a_wrong_ami_secret_or_a_missing_setting(keshi):
    ami = FakeAmi(CALLS)
    ami.start()
    refused = run(python(), EXAMPLES / "phone_bridge.py", "--once", env=bridge_env(keshi, ami, AMI_SECRET="wrong"))
    assert refused.returncode != 0 and "refused the login of 'keshi'" in refused.stderr
    assert not PhoneCall.objects.exists() and "wrong" not in refused.stderr.replace("'keshi'", "")
    unset = run(python(), EXAMPLES / "phone_bridge.py", env={"PATH": "/usr/bin:/bin"})
    assert unset.returncode != 0 and "Set KESHI_URL, KESHI_API_KEY, AMI_HOST, AMI_USER, AMI_SECRET" in unset.stderr


def integrations_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return re.search(r"^## Integrations\n(.*?)(?=^## )", readme, re.S | re.M).group(1)


def test_the_readme_names_every_example_and_shows_their_requests_as_the_files_send_them():
    section = integrations_section()
    for example in sorted(EXAMPLES.iterdir()):
        assert f"examples/{example.name}" in section, example.name
    blocks = re.findall(r"```(?:sh|python)\n(.*?)```", section, re.S)
    sources = {path.name: path.read_text() for path in EXAMPLES.iterdir()}
    for block in blocks:
        if "curl" in block or "requests." in block or "hmac.new" in block:
            lines = [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]
            assert any(all(line in source for line in lines) for source in sources.values()), block


def test_the_readme_keeps_exactly_its_two_set_up_commands():
    readme = (ROOT / "README.md").read_text()
    assert re.findall(r"^python3 dev\.py \w+", readme, re.M) == ["python3 dev.py run", "python3 dev.py test"]
