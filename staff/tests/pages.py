"""Read a form off a rendered page as a browser would send it, so a test posts what the person saw."""

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select, self._option = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"attrs": attrs, "data": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["data"].append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self._form["data"].append((attrs["name"], attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = [attrs.get("name"), ""]
        elif tag == "select":
            self._select = [attrs.get("name"), None, None]  # name, first option, selected
        elif tag == "option" and self._select is not None:
            self._option = attrs.get("value", "")
            if self._select[1] is None:
                self._select[1] = self._option
            if "selected" in attrs:
                self._select[2] = self._option

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea[1]
            self._form["data"].append((self._textarea[0], text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, first, selected = self._select
            self._form["data"].append((name, selected if selected is not None else first or ""))
            self._select = None


def form_on(page, containing: str) -> dict:
    """The values of the page's form that has a field named `containing`, as a POST dict."""
    parser = _Forms()
    parser.feed(page.content.decode())
    for form in parser.forms:
        names = [name for name, _value in form["data"]]
        if containing in names:
            data = {}
            for name, value in form["data"]:
                if name == "csrfmiddlewaretoken":
                    continue
                data.setdefault(name, []).append(value)
            return {name: values if len(values) > 1 else values[0] for name, values in data.items()}
    raise AssertionError(f"no form with a field {containing!r} on the page")
