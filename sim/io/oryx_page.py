"""Reading the Russian "Tanks" section of Oryx's loss page (HTML text, standard library only).

Oryx's page "Attack On Europe: Documenting Russian Equipment Losses During The Russian Invasion
Of Ukraine" lists every visually confirmed loss. Its tank section is a heading and a list::

    <h3>Tanks (3903, of which destroyed: 2822, damaged: 158, abandoned: 390, captured: 533)</h3>
    <ul><li><img ...> 133 T-62M: <a href=...>(1, destroyed)</a> <a>(6 and 7, destroyed)</a>
        ...</li> ...</ul>

Each item names a model (after Oryx's running count) and links one photograph per loss; a link
may number several tanks ("(6 and 7, destroyed)", "(12, 13 and 14, captured)"). A link with
two statuses ("(1, damaged and abandoned)", "(2, abandoned and captured)") counts once, under
the status Oryx's heading counts it in: the *last* status named (the tank's final state), which
is what makes the items add up to the heading on every archived copy (see docs/record.md).

:func:`parse_tanks` counts each model's numbered losses by status, checks the sum against the
heading and raises :class:`PageError` (one line) on anything that does not fit. Pure: text in,
a :class:`TankSection` out; reading files is the caller's (:mod:`sim.io.record_import`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from sim.model.errors import InputError

#: Oryx's statuses, in the record's column order.
STATUSES = ("destroyed", "damaged", "abandoned", "captured")

#: The tank heading's text: the total, then its split by status (a status with no losses may
#: be left out, as Oryx does in other sections: "Unmanned Ground Vehicles (5, of which
#: destroyed: 5)").
HEADING = re.compile(r"^\s*Tanks\s*\(\s*(?P<total>\d+)\s*,\s*of which\s+(?P<split>[^()]*)\)\s*$")
HEADING_STATUS = re.compile(r"(destroyed|damaged|abandoned|captured)\s*:\s*(\d+)")
#: One number or range of numbers in a link ("7", "12-14").
_ID = r"\d+(?:\s*[-–]\s*\d+)?"
#: A loss link's text: the numbers it covers, then its status words ("destroyed", "damaged and
#: abandoned", "captured and later destroyed"); the comma before them is sometimes missing.
LINK = re.compile(
    rf"^\(\s*(?P<ids>{_ID}(?:\s*(?:,\s*and|,|\.|and|&)\s*{_ID})*)"
    r"\s*,?\s*(?P<status>[A-Za-z][A-Za-z\s]*?)\s*\)$"
)
#: Words Oryx uses for a final state that its heading counts under a status: a captured tank
#: "stripped" (of parts) is counted as destroyed (found by summing the items of archived copies
#: against their headings: "(63, captured and stripped)" is in the heading's destroyed).
ALIASES = {"stripped": "destroyed"}
#: An item's label: Oryx's running count, the model name, a colon.
LABEL = re.compile(r"^\s*(?P<count>\d+)?\s*(?P<model>[^\d\s:].*?)\s*:?\s*$")
#: The page's own date of its state, as Blogger writes it.
MODIFIED = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Most numbers one link may cover (Oryx's largest, a photo of a depot, numbers a few dozen).
MAX_LINK_SPAN = 200


class PageError(InputError):
    """A page that is not a readable Oryx tank section (one line: what and where)."""


@dataclass(frozen=True)
class TankSection:
    """The Russian tank section of one copy of Oryx's page.

    Attributes
    ----------
    heading : dict[str, int]
        The heading's ``total`` and its four statuses (tanks).
    models : dict[str, tuple[int, int, int, int]]
        Oryx model name -> confirmed losses (tanks) by :data:`STATUSES`, in page order.
    stated : dict[str, int]
        Oryx model name -> the running count Oryx writes before it (tanks; absent if none).
    modified : str or None
        The page's ``dateModified`` (YYYY-MM-DD) if it states one.
    mismatch : str
        How the items differ from the heading ("" when they agree; only ever non-empty when
        read with ``check_heading=False``).
    """

    heading: dict[str, int]
    models: dict[str, tuple[int, int, int, int]]
    stated: dict[str, int]
    modified: str | None
    mismatch: str = ""


def _words(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


class _Reader(HTMLParser):
    """Collects the text of each ``h3``; after the first tank heading, the items of the next
    list, each as (label text, [link texts])."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.heading_text: str | None = None
        self.modified: str | None = None
        self._h3: list[str] | None = None
        self._list_depth = 0  # depth of <ul>/<ol> inside the tank list; 0: not in it
        self.finished = False
        self.items: list[tuple[str, list[str]]] = []
        self._label: list[str] = []
        self._links: list[str] = []
        self._link: list[str] | None = None
        self._in_item = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" and self.modified is None:
            values = dict(attrs)
            if values.get("itemprop") == "dateModified" and values.get("content"):
                found = MODIFIED.match(values["content"] or "")
                self.modified = found.group(0) if found else None
        if self.finished:
            return
        if tag == "h3" and self.heading_text is None:
            self._h3 = []
        elif tag in ("ul", "ol") and self.heading_text is not None:
            self._list_depth += 1
        elif tag == "li" and self._list_depth == 1:
            self._close_item()
            self._in_item, self._label, self._links = True, [], []
        elif tag == "a" and self._in_item:
            self._link = []

    def handle_endtag(self, tag: str) -> None:
        if self.finished:
            return
        if tag == "h3" and self._h3 is not None:
            text = _words("".join(self._h3))
            self._h3 = None
            if _heading(text) is not None:
                self.heading_text = text
        elif tag == "a" and self._link is not None:
            self._links.append(_words("".join(self._link)))
            self._link = None
        elif tag == "li" and self._list_depth == 1:
            self._close_item()
        elif tag in ("ul", "ol") and self._list_depth:
            self._list_depth -= 1
            if self._list_depth == 0:
                self._close_item()
                self.finished = True

    def handle_data(self, data: str) -> None:
        if self._h3 is not None:
            self._h3.append(data)
        elif self._link is not None:
            self._link.append(data)
        elif self._in_item and not self._links:
            self._label.append(data)

    def _close_item(self) -> None:
        if self._in_item:
            self.items.append((_words("".join(self._label)), self._links))
        self._in_item, self._label, self._links, self._link = False, [], [], None


def _heading(text: str) -> dict[str, int] | None:
    """The total and statuses of a tank heading's text, or None if it is not one."""
    found = HEADING.match(text)
    if not found:
        return None
    heading = dict.fromkeys(("total", *STATUSES), 0)
    heading["total"] = int(found.group("total"))
    split = found.group("split")
    if HEADING_STATUS.sub("", split).strip(" ,;"):  # anything but "status: N" and commas
        return None
    for status, value in HEADING_STATUS.findall(split):
        if heading[status]:
            return None
        heading[status] = int(value)
    return heading


def _link_count(text: str, model: str) -> tuple[int, str]:
    """(tanks, status) of one link's text, or :class:`PageError`."""
    found = LINK.match(text)
    if not found:
        raise PageError(f'model "{model}": a link reads "{text[:80]}", not "(N, status)"')
    words = [ALIASES.get(w, w) for w in found.group("status").lower().split()]
    statuses = [w for w in words if w in STATUSES]
    if not statuses:
        raise PageError(f'model "{model}": link "{text[:80]}" names none of the statuses '
                        f"{', '.join(STATUSES)}")
    status = statuses[-1]
    count = 0
    for token in re.split(r"\s*(?:,|\.|\band\b|&)\s*", found.group("ids")):
        if not token:
            continue
        span = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", token)
        if span:
            first, last = int(span.group(1)), int(span.group(2))
            if not 0 < last - first < MAX_LINK_SPAN:
                raise PageError(f'model "{model}": link "{text[:80]}" spans {first} to {last}')
            count += last - first + 1
        elif token.isdigit():
            count += 1
        else:
            raise PageError(f'model "{model}": link "{text[:80]}" numbers "{token}"')
    if count == 0:
        raise PageError(f'model "{model}": link "{text[:80]}" numbers no tank')
    return count, status


def parse_tanks(text: str, *, check_heading: bool = True) -> TankSection:
    """The Russian tank section of Oryx's page ``text`` (HTML), checked against its heading.

    ``check_heading=False`` (for reading archived copies whose hand-kept heading was off by a
    few) returns the items' counts and says how they differ in :attr:`TankSection.mismatch`.

    Raises
    ------
    PageError
        No tank heading, no list after it, an item or link that does not read as Oryx writes
        them, a model named twice, or items whose sum by status differs from the heading.
    """
    reader = _Reader()
    try:
        reader.feed(text)
        reader.close()
    except (AssertionError, ValueError) as err:  # html.parser's own complaints
        raise PageError(f"not readable as HTML ({err})") from None
    if reader.heading_text is None:
        raise PageError('no "Tanks (N, of which destroyed: ..., captured: ...)" heading')
    heading = _heading(reader.heading_text)
    if not reader.finished:
        raise PageError("the tank list after the heading is missing or cut short "
                        "(no closing </ul>; a truncated copy?)")
    if not reader.items:
        raise PageError("the tank list after the heading has no items")
    models: dict[str, tuple[int, int, int, int]] = {}
    stated: dict[str, int] = {}
    for label, links in reader.items:
        named = LABEL.match(label)
        if not named:
            raise PageError(f'an item reads "{label[:80]}", not "N Model:"')
        model = named.group("model")
        if model in models:
            raise PageError(f'model "{model}" is listed twice')
        counts = dict.fromkeys(STATUSES, 0)
        for link in links:
            n, status = _link_count(link, model)
            counts[status] += n
        models[model] = tuple(counts[s] for s in STATUSES)
        if named.group("count") is not None:
            stated[model] = int(named.group("count"))
    sums = {s: sum(c[i] for c in models.values()) for i, s in enumerate(STATUSES)}
    sums["total"] = sum(sums.values())
    wrong = [f"{k} {sums[k]} (heading {heading[k]})" for k in ("total", *STATUSES)
             if sums[k] != heading[k]]
    mismatch = ", ".join(wrong)
    if mismatch and check_heading:
        raise PageError("the items do not add up to the heading: " + mismatch)
    return TankSection(heading=heading, models=models, stated=stated, modified=reader.modified,
                       mismatch=mismatch)
