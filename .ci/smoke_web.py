"""The smoke test's browser: a cookie jar, the forms of a page, multipart uploads, polling.

Part of .ci/smoke.py (see its docstring); standard library only."""

import html.parser
import http.client
import http.cookiejar
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from smoke_services import SmokeFailure, check, require_running


class Forms(html.parser.HTMLParser):
    """Every <form> of a page with the values a browser would send unchanged, and the <select> options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                               "fields": [], "options": {}, "names": set()})  # fmt: skip
            return
        if not self.forms or "name" not in a:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        form, name = self.forms[-1], a["name"]
        form["names"].add(name)
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form["fields"].append((name, a.get("value", "")))
        elif tag == "select":
            self._select = name
            form["options"][name] = []
        elif tag == "textarea":
            self._textarea = name
            form["fields"].append((name, ""))

    def _option(self, a):
        form = self.forms[-1]
        form["options"][self._select].append(a.get("value", ""))
        if "selected" in a:
            form["fields"].append((self._select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)


def all_forms(page: str) -> list:
    parser = Forms()
    parser.feed(page)
    return parser.forms


def form_with(page: str, field: str) -> dict:
    for form in all_forms(page):
        if field in form["names"]:
            return form
    raise SmokeFailure(f"no form with a field {field!r} on the page: {page_title(page)}")


def page_title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    return " ".join(found.group(1).split()) if found else page[:300]


def fill(form: dict, values: dict) -> list:
    fields = [(k, v) for k, v in form["fields"] if k not in values]
    for key, value in values.items():
        fields.append((key, value))
    return fields


class Browser:
    def __init__(self, base: str, cafile: Path):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=str(cafile))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), urllib.request.HTTPSHandler(context=context)
        )
        self.referer = base + "/"

    def request(self, path: str, *, data=None, files=None, expect=(200,)) -> tuple[int, str, bytes, dict]:
        headers = {"Accept-Language": "en", "Referer": self.referer}
        body = None
        if files:
            body, content_type = multipart(data or [], files)
            headers["Content-Type"] = content_type
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
            headers["X-CSRFToken"] = token
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                status, url, content, info = response.status, response.url, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, url, content, info = error.code, error.url, error.read(), dict(error.headers)
        check(status in expect, f"{'POST' if body else 'GET'} {path}: HTTP {status} (wanted {expect}) at {url}: "
                                f"{page_title(content.decode(errors='replace'))}")  # fmt: skip
        self.referer = url
        return status, urllib.parse.urlsplit(url).path, content, info

    def page(self, path: str, **kwargs) -> tuple[str, str]:
        _status, final, content, _info = self.request(path, **kwargs)
        return final, content.decode()


def multipart(fields: list, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, mime) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def poll(what: str, probe, *, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        require_running()
        ok, last = probe()
        if ok:
            return last
        time.sleep(every)
    raise SmokeFailure(f"{what}: not within {timeout:.0f} s; last seen: {last}")


# Filled by the smoke virtualenv's own openpyxl, so the script itself needs nothing outside the stdlib.
