"""Submitting a server's HTML forms over real HTTP (``requests``), as a browser would."""

from html.parser import HTMLParser
from urllib.parse import urljoin


class FormParser(HTMLParser):
    """Every POST form on a page: its action and its inputs' names and values."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


def post_form(session, page, having, timeout=10, **values):
    """Submit the page's form that has an input named ``having``, as a browser would."""
    parser = FormParser()
    parser.feed(page.text)
    action, fields = next(form for form in parser.forms if having in form[1])
    return session.post(
        urljoin(page.url, action), data={**fields, **values}, allow_redirects=False, timeout=timeout
    )
