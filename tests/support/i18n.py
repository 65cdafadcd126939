"""What a reader sees of a page, and the English sentences our catalogues hold, to find English
left on a translated page."""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Attributes a reader meets (screen readers read the labels; the small-screen table shows data-label).
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-label"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>")


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text and read attributes, whitespace collapsed (no markup, script or CSS)."""
    parser = _Visible()
    parser.feed(html)
    # ASCII whitespace only: French puts a no-break space before "?" and ":", which stays.
    return re.sub(r"[ \t\r\n\f]+", " ", " ".join(parser.parts)).strip()


def catalogue_paths(language: str) -> list[Path]:
    """Every catalogue of ``language``: the project's and each app's."""
    return sorted(BASE_DIR.glob(f"*/locale/{language}/LC_MESSAGES/django.po")) + [
        BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    ]


@cache
def english_phrases(language: str, min_words: int = 3) -> frozenset[str]:
    """The English runs of text (between placeholders and tags) of every message, of at least
    ``min_words`` words, whose ``language`` translation differs: what must not be left on a page
    in ``language`` (short words such as "Code" or "Client" are the same in several languages)."""
    phrases = set()
    for path in catalogue_paths(language):
        for entry in polib.pofile(str(path)):
            translated = entry.msgstr or " ".join(entry.msgstr_plural.values())
            for source in filter(None, (entry.msgid, entry.msgid_plural)):
                for run in _PLACEHOLDER.split(source):
                    run = re.sub(r"[ \t\r\n\f]+", " ", run).strip(" .,:;?!()")
                    if len(run.split()) >= min_words and run not in translated:
                        phrases.add(run)
    return frozenset(phrases)


def english_left(html: str, language: str) -> list[str]:
    """The catalogues' English phrases still visible on ``html`` rendered in ``language``."""
    text = visible_text(html)
    return sorted(phrase for phrase in english_phrases(language) if phrase in text)
