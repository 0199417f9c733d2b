"""Propose records, mentions, links and figures from an article's text (a pure function).

``propose(text, citation=…, catalogue=…, places=…)`` reads nothing and writes nothing.  The text
is folded character by character to Simplified, lower-case, half-width (``geo.text``), so every
offset in the folded text is an offset in the article; the rules (``geo.ingest.rules``) then find:

- mentions of records we have, by any of their names or aliases;
- organisations by their name's ending (大學, 醫院, 合作區 …), by a title after them (…副主任),
  by a list they are in (A、B、C等615家企業), as a branch of the organisation named nearby
  (澳門分中心 of the platform), or a place standing alone as a party (坪山, 香港);
- links between two organisations of one sentence that holds a cooperation cue;
- figures (areas, investment, counts, percentages) for the organisation they are about.

Every proposal quotes the sentence it comes from, verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from geo.ingest import rules
from geo.ingest.catalogue import Catalogue, Entry, Places
from geo.ingest.proposals import CHECKS
from geo.schema import is_outlined
from geo.text import to_simplified, to_traditional

MAX_NAME = 24  # characters: no organisation name in a news article is longer
SENTENCE_ENDS = "。！？；!?;\n"
_PUNCT = set("，。、；：！？,.;:!?「」『』“”‘’《》〈〉—…·\n\t ")
_OPEN, _CLOSE = "(（", ")）"


@dataclass
class Proposals:
    """What ``propose`` returns: the proposal entries in the proposal file's format."""

    citation: str
    proposals: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"record": 0, "mention": 0, "link": 0, "figure": 0}
        for item in self.proposals:
            out[item["proposal"]["kind"]] += 1
        return out


# -- folding -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """``text`` folded one character at a time (same length, same offsets): Simplified, lower-case, half-width."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        simplified = "".join(c if len(s := to_simplified(c)) != 1 else s for c in text)
    out = []
    for char in simplified:
        folded = unicodedata.normalize("NFKC", char).casefold()
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _name_char(char: str) -> bool:
    return _is_han(char) or (char.isascii() and char.isalnum()) or char in _OPEN + _CLOSE + "·"


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, white space trimmed; a sentence ends at 。！？； or a line end."""
    out = []
    start = 0
    for index, char in enumerate(text + "\n"):
        if char in SENTENCE_ENDS:
            end = index + 1 if char not in "\n" else index
            a, b = start, min(end, len(text))
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                out.append((a, b))
            start = index + 1
    return out


# -- spans: where names are ------------------------------------------------------------------


@dataclass
class Span:
    start: int
    end: int
    layer: str
    category: str
    rule: str  # the evidence: which rule found it
    existing: str | None = None  # a catalogue record id
    place: object = None  # a Place, for a region standing as a party
    checks: tuple[str, ...] = ()
    name: str | None = None  # when the name is not the text of the span
    parent: object = None  # a branch's parent span
    ref: object = None  # a person's name standing for their organisation's span (吳創偉 -> 橫琴新區管委會)
    person: str = ""  # the person a title span names
    invests: bool = False  # 港資: the region's capital owns the body named next
    nested: bool = False  # a name inside a longer one (橫琴新區 in 橫琴新區管委會): not a party of its own


def _ends_with_any(text: str, words) -> str | None:
    for word in words:
        if text.endswith(word):
            return word
    return None


def _ending_of(name: str):
    """The longest ORG_ENDINGS row ``name`` ends with."""
    best = None
    for row in rules.ORG_ENDINGS:
        if name.endswith(row[0]) and (best is None or len(row[0]) > len(best[0])):
            best = row
    return best


# Cue verbs end a name too (…學習借鑒河套); cue nouns (醫療, 人才 …) may be inside one.
_BOUNDARIES = sorted(
    set(rules.BOUNDARY_WORDS) | {cue for cue, _, _ in rules.LINK_CUES if cue not in rules.CUE_NOUNS},
    key=len,
    reverse=True,
)


def name_start(folded: str, end: int, floor: int) -> int | None:
    """Where a name whose ending starts at ``end`` starts, reading back; None when there is no name.

    Stops at punctuation, at ``floor`` (the sentence start), after MAX_NAME characters, or after the
    latest boundary word.  A one-character boundary word (同, 在 …) cuts only where at least two
    characters stay before the ending (同濟大學 keeps its 同); a joining word (及, 和, 與) cuts only
    when what precedes it ends a name (a list, not a name with 和 in it) or nothing precedes it.
    A boundary word right before the ending (的園區, 設立診療中心) means there is no name.
    """
    start = end
    limit = max(floor, end - MAX_NAME)
    depth = 0
    while start > limit:
        char = folded[start - 1]
        if char in _CLOSE:
            depth += 1
        elif char in _OPEN:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not _name_char(char):
            break
        start -= 1
    for cut in range(end, start, -1):
        before = folded[start:cut]
        word = next((w for w in _BOUNDARIES if before.endswith(w)), None)
        if word is None:
            continue
        rest = before[: -len(word)]
        if (
            word in rules.JOINING_WORDS
            and rest
            and not (
                (len(_after_boundary(rest)) <= 3 and word in "与及")  # 香港與廣州分校 (not 北京協和醫院)
                or _has_ending(rest)
                or _TITLE_RE.search(rest)
                or not _name_char(rest[-1])
                or any(rest.endswith(w) for w in _BOUNDARIES)  # 將與, 並與: a preposition, not a name's 與
            )
        ):
            continue  # 深圳市發展和改革委員會, 深港協同創新研究院: a word of the name, not a list
        if len(word) == 1 and end - cut < 2 and cut != end and word not in rules.JOINING_WORDS:
            return None  # 人才到高新區: one character is left before the ending, not a name
        if cut == end:
            return None
        start = cut
        break
    # a count is not part of a name: 6個南山高新區
    lead = re.match(r"[0-9]+[个家间所位名座]?", folded[start:end])
    if lead:
        start += lead.end()
    return start if end - start >= 1 else None


def _after_boundary(text: str) -> str:
    """What follows the last boundary word of ``text`` (允許香港 -> 香港)."""
    cut = max((text.rfind(w) + len(w) for w in _BOUNDARIES if w in text), default=0)
    return text[cut:]


def _has_ending(text: str) -> bool:
    return any(row[0] in text for row in rules.ORG_ENDINGS if not row[3])


def _standalone(folded: str, end: int) -> bool:
    """True when nothing name-like follows ``end``: punctuation, the end, or a boundary word."""
    if end >= len(folded):
        return True
    rest = folded[end : end + 4]
    if not _name_char(rest[0]) or rest[0].isdigit():
        return True
    return any(rest.startswith(w) for w in _BOUNDARIES) or rest.startswith(rules.TITLES)


def _named(head: str, ending: str = "") -> bool:
    """A name's part before its ending says which one: two Chinese characters (one before a short
    ending: 中科院), or a word of three letters, not a pronoun (該, 本, 各 …)."""
    han = sum(_is_han(c) for c in head)
    if head[:1] in "该本此各其每这那首一":
        return False
    if han >= 2 or re.search(r"[a-z0-9]{3}", head) or (han >= 1 and re.search(r"[a-z0-9]", head)):
        return True
    return han == 1 and len(ending) == 2


def _descriptive(name: str) -> bool:
    if name.startswith(rules.DESCRIPTIVE_STARTS):
        return True
    row = _ending_of(name)
    if row is not None and name[: -len(row[0])].endswith(("型", "性", "类")):
        return True  # 研究型大學, 綜合性醫院: a kind, not a name
    if row is not None and row[1] == "universities" and _ending_of(name[: -len(row[0])]) is not None:
        head = name[: -len(row[0])]
        if head == _ending_of(head)[0]:
            return True  # 大學實驗室, 醫院研究院: a kind of a kind, no name
    han = sum(_is_han(c) for c in name)
    return han < 3 and not any(c.isascii() and c.isalpha() for c in name)


def _catalogue_spans(folded: str, catalogue: Catalogue) -> list[Span]:
    spans = []
    for entry in catalogue.records:
        for name in entry.names:
            key = fold(name)
            if len(key) < 2 or (key.isascii() and len(key) < 3):
                continue
            for match in re.finditer(re.escape(key), folded):
                a, b = match.span()
                if key.isascii() and (
                    (a > 0 and folded[a - 1].isascii() and folded[a - 1].isalnum())
                    or (b < len(folded) and folded[b].isascii() and folded[b].isalnum())
                ):
                    continue
                spans.append(Span(a, b, entry.layer, entry.category, f"name {name}", existing=entry.id))
    return spans


def _ending_spans(folded: str, bounds: list[tuple[int, int]]) -> list[Span]:
    spans = []
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        for ending, layer, category, weak in rules.ORG_ENDINGS:
            for match in re.finditer(re.escape(ending), sentence):
                end = s_start + match.end()
                # a parenthesised place right after the ending belongs to the name: 綜合開發研究院（深圳）
                paren = re.match(r"[(（][\u4e00-\u9fff]{2,4}[)）]", folded[end : end + 6])
                if paren and _standalone(folded, end + paren.end()):
                    end += paren.end()
                elif weak and not _standalone(folded, end):
                    continue
                elif not weak and end < s_end and folded[end] in "区院校局会所部" and ending[-1] not in "区院":
                    continue  # the ending is inside a longer word (大学城, 医院区)
                start = name_start(folded, s_start + match.start(), s_start)
                if start is None:
                    continue
                name = folded[start:end]
                if not _named(name[: s_start + match.start() - start], ending) or _descriptive(name):
                    continue
                spans.append(Span(start, end, layer, category, f"ending {ending}", checks=_checks_for(weak)))
    return spans


def _checks_for(weak: bool) -> tuple[str, ...]:
    return ("category",) if weak else ()


_TITLE_RE = re.compile("|".join(re.escape(t) for t in sorted(rules.TITLES, key=len, reverse=True)))


def _title_spans(folded: str, bounds: list[tuple[int, int]], places: Places) -> list[Span]:
    spans = []
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        for match in _TITLE_RE.finditer(sentence):
            title = match.group(0)
            at = s_start + match.start()
            start = name_start(folded, at, s_start)
            if start is None:
                continue
            org = folded[start:at]
            if title.startswith(rules.COMMITTEE_ENDINGS):  # 坪山 + 區委書記
                org, at = org + title[0], at + 1
            committee = _ends_with_any(org, rules.COMMITTEE_ENDINGS) or title.startswith(rules.COMMITTEE_ENDINGS)
            if committee:
                place = places.find(org[:-1] if org.endswith("委") else org)
                if place is not None:
                    end = at - 1 if org.endswith("委") else at
                    span = Span(start, end, "agencies", "government", f"title {title}", place=place)
                    span.person = _person_after(folded, s_start + match.end())
                    spans.append(span)
                continue
            row = _ending_of(org)
            head = org[: len(org) - len(row[0])] if row else org
            whole = row is not None and org == row[0] and row[1] == "agencies"  # 衞生署署長: the body's own name
            if len(org) < 3 or _descriptive(org) or not (whole or _named(head, row[0] if row else "")):
                continue
            if row is not None:
                layer, category, checks = row[1], row[2], ()
            else:
                layer, category, checks = "agencies", "association", ("category",)
            span = Span(start, at, layer, category, f"title {title}", checks=checks)
            span.person = _person_after(folded, s_start + match.end())
            spans.append(span)
    return spans


def _person_after(folded: str, at: int) -> str:
    name = folded[at : at + 3]
    if len(name) < 2 or not all(_is_han(c) for c in name[:2]):
        return ""
    if len(name) == 3 and (not _is_han(name[2]) or folded[at + 2 :].startswith(rules.AFTER_PERSON)):
        name = name[:2]
    return name


def _person_spans(folded: str, spans: list[Span]) -> list[Span]:
    """Later mentions of a person named after a title stand for the title's organisation."""
    out = []
    for span in spans:
        if not span.person:
            continue
        later = [m for m in re.finditer(re.escape(span.person), folded) if m.start() > span.end + 2]
        if not later and len(span.person) == 3:  # a two-character name read with the next character
            later = [m for m in re.finditer(re.escape(span.person[:2]), folded) if m.start() > span.end + 2]
        for match in later:
            if any(s.start <= match.start() < s.end for s in spans):
                continue
            ref = Span(match.start(), match.end(), span.layer, span.category, f"person {span.person}")
            ref.ref = span
            out.append(ref)
    return out


_CLASS_RE = "(?:" + "|".join(rules.CLASS_NOUNS) + ")"


def _list_spans(folded: str, bounds: list[tuple[int, int]]) -> list[Span]:
    """Items of "A、B、C等615家…企業" lists, and "以X為代表" (both name organisations without an ending)."""
    spans = []
    item = r"[\u4e00-\u9fffa-z0-9]{2,12}"
    pattern = re.compile(rf"((?:{item}、)+{item})等\s*(?:[0-9]+\s*家|多家|一批)?([\u4e00-\u9fff]{{0,6}}?){_CLASS_RE}")
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        for match in pattern.finditer(sentence):
            industry = match.group(2)
            category = next((c for word, c in rules.INDUSTRY_WORDS if word in industry), "technology")
            offset = s_start + match.start(1)
            for index, text_item in enumerate(match.group(1).split("、")):
                a, b = offset, offset + len(text_item)
                offset = b + 1
                if index == 0:
                    start = name_start(folded, b, s_start)
                    if start is None:
                        continue
                    a = max(a, start)
                if b - a >= 2 and not _descriptive(folded[a:b]):
                    spans.append(Span(a, b, "enterprises", category, "list …等…" + industry, checks=("category",)))
        for match in re.finditer(r"以([\u4e00-\u9fffa-z0-9]{2,12})为代表", sentence):
            after = sentence[match.end() : match.end() + 16]
            category = next((c for word, c in rules.INDUSTRY_WORDS if word in after), "technology")
            a = s_start + match.start(1)
            spans.append(Span(a, a + len(match.group(1)), "enterprises", category, "以…为代表", checks=("category",)))
    return spans


def _standalone_spans(folded: str) -> list[Span]:
    spans = []
    for word, (layer, category) in rules.STANDALONE_BODIES.items():
        for match in re.finditer(re.escape(word), folded):
            a, b = match.span()
            if (a == 0 or not _is_han(folded[a - 1]) or folded[a - 1] in "，、的与和及") and _standalone(folded, b):
                spans.append(Span(a, b, layer, category, f"body {word}"))
    return spans


def _place_spans(folded: str, places: Places, bounds: list[tuple[int, int]]) -> list[Span]:
    """Places standing alone as a party (香港已…, 坪山的…, 港澳的…): regions, not positions."""
    spans = []
    names = sorted(places.by_name, key=len, reverse=True)
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        taken: list[tuple[int, int]] = []
        for pair, members in rules.PLACE_PAIRS.items():
            for match in re.finditer(re.escape(pair), sentence):
                a, b = s_start + match.start(), s_start + match.end()
                if _party_follows(folded, b) and not _inside_word(folded, a):
                    for member in members:
                        place = places.find(member)
                        if place is not None and place.level == "city":
                            spans.append(Span(a, b, "agencies", "region", f"place {pair}", place=place))
                    taken.append((a, b))
        for word, member in rules.CAPITAL_WORDS.items():
            for match in re.finditer(re.escape(word), sentence):
                a, b = s_start + match.start(), s_start + match.end()
                place = places.find(member)
                if place is not None:
                    span = Span(a, b, "agencies", "region", f"capital {word}", place=place)
                    span.invests = True
                    spans.append(span)
                    taken.append((a, b))
        for name in names:
            if len(name) < 2:
                continue
            for match in re.finditer(re.escape(name), sentence):
                a, b = s_start + match.start(), s_start + match.end()
                anywhere = name in _SAR_KEYS  # a SAR named outside a name is a party wherever it stands
                if (
                    any(x <= a < y for x, y in taken)
                    or not (anywhere or _party_follows(folded, b))
                    or _inside_word(folded, a)
                ):
                    continue
                place = places.by_name[name]
                category = "region" if place.level == "city" else "government"
                spans.append(Span(a, b, "agencies", category, f"place {name}", place=place, checks=("category",)))
                taken.append((a, b))
    return spans


_SAR_KEYS = {fold(name) for name in rules.SAR_NAMES}


def _party_follows(folded: str, end: int) -> bool:
    """A place is a party when what follows makes it the subject or an item of a list (香港已…, 坪山的…)."""
    rest = folded[end : end + 4]
    return not rest or rest[0] in _PUNCT or rest.startswith(rules.PARTY_FOLLOWERS)


def _inside_word(folded: str, a: int) -> bool:
    """True when the character before ``a`` makes the place part of a longer name (e.g. 大坪山)."""
    if a == 0:
        return False
    before = folded[max(0, a - 4) : a]
    if not _is_han(before[-1]):
        return False
    return not any(before.endswith(w) for w in _BOUNDARIES)


def _area_list_spans(folded: str, bounds: list[tuple[int, int]]) -> list[Span]:
    """ "河套、前海地区": short names listed with a shared area ending are zones."""
    spans = []
    endings = "|".join(re.escape(e) for e in rules.AREA_LIST_ENDINGS)
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        for match in re.finditer(r"((?:[\u4e00-\u9fff]{2,4}、)+[\u4e00-\u9fff]{2,4}?)(?:" + endings + ")", sentence):
            offset = s_start + match.start(1)
            items = match.group(1).split("、")
            first = items[0]
            start = name_start(folded, offset + len(first), s_start)
            if start is None:
                continue
            items[0] = folded[start : offset + len(first)]
            offset = start
            for item in items:
                if 2 <= len(item) <= 4:
                    spans.append(
                        Span(offset, offset + len(item), "zones", "cooperation_zone", "area list", checks=("category",))
                    )
                offset += len(item) + 1
    return spans


def _echo_spans(folded: str, spans: list[Span]) -> list[Span]:
    """Every other place the article prints a name a rule found (醫衞局 in a sentence of its own)."""
    out: list[Span] = []
    taken = [(s.start, s.end) for s in spans]
    seen: set[str] = set()
    for span in sorted(spans, key=lambda s: s.start - s.end):
        if span.existing or span.place is not None or span.nested or span.end - span.start < 3:
            continue
        name = folded[span.start : span.end]
        if name in seen:
            continue
        seen.add(name)
        for match in re.finditer(re.escape(name), folded):
            a, b = match.span()
            if any(x < b and a < y for x, y in taken):
                continue
            if b < len(folded) and _ending_of(folded[a : b + 3]) and not _standalone(folded, b):
                continue  # the start of a longer name
            echo = Span(a, b, span.layer, span.category, span.rule, checks=span.checks)
            out.append(echo)
            taken.append((a, b))
    return out


def _part_of(inner: Span, rest: str) -> bool:
    """Whether a name followed by ``rest`` is a body the longer name is part of: a university's
    institute, a platform's branch, a government's department, an area's committee; not 醫院 of
    醫院管理局 (an authority over hospitals)."""
    row = _ending_of(rest)
    if row is None or row[1] != "agencies":
        return True
    return inner.layer == "zones" or inner.category == "government"


def _resolve(spans: list[Span], folded: str) -> list[Span]:
    """Overlapping spans: the longest wins (a catalogue name before a guess of the same length)."""
    order = sorted(spans, key=lambda s: (-(s.end - s.start), s.existing is None, s.place is not None, s.start))
    kept: list[Span] = []
    nested: list[Span] = []
    for span in order:
        over = [k for k in kept if span.start < k.end and k.start < span.end]
        same = [k for k in over if k.start == span.start and k.end == span.end]
        if same and span.person and not same[0].person:
            same[0].person = span.person  # the title found the same name: keep whom it names
        if not over:
            kept.append(span)
        elif (
            len(over) == 1
            and not over[0].nested
            and over[0].start == span.start
            and over[0].end - span.end >= 2
            and folded[span.end : span.end + 1] not in _OPEN
            and (span.existing or span.rule.startswith("ending"))
            and not any(n.start == span.start and n.end == span.end for n in nested)
            and _part_of(span, folded[span.end : over[0].end])
        ):
            span.nested = True  # 橫琴新區 of 橫琴新區管委會, 香港中文大學 of 香港中文大學深圳研究院
            nested.append(span)
    return sorted(kept + nested, key=lambda s: (s.start, -s.end))


# -- from spans to entities -------------------------------------------------------------------


@dataclass
class Entity:
    key: str  # what identifies it: record id (existing) or folded name
    name: str  # as printed (a branch: parent's name + its own)
    layer: str
    category: str
    rule: str
    existing: str | None = None
    place: object = None
    checks: tuple[str, ...] = ()
    spans: list[Span] = field(default_factory=list)
    forms: dict[str, int] = field(default_factory=dict)  # printed forms -> count
    parent: str | None = None  # key of the entity a branch or compound belongs to
    record_id: str = ""
    branch_of: object = None  # the parent span of a branch
    own: str = ""  # a branch's own words (澳門分中心)
    aliases: list = field(default_factory=list)  # short forms the article uses (醫衞局)


def _entities(text: str, folded: str, spans: list[Span], catalogue: Catalogue) -> dict[str, Entity]:
    by_name: dict[str, Entry] = {}
    for entry in catalogue.records:
        for name in entry.names:
            by_name.setdefault(fold(name), entry)
    entities: dict[str, Entity] = {}
    refs = [span for span in spans if span.ref is not None]
    branches = [span for span in spans if span.parent is not None]
    for span in spans:
        if span.ref is not None or span.parent is not None:
            continue
        printed = span.name or text[span.start : span.end]
        existing = span.existing
        if existing is None and span.place is not None:
            for name in (span.place.name_zh_hant, span.place.place, printed):
                if fold(name) in by_name:
                    existing = by_name[fold(name)].id
                    break
        if existing is None and fold(printed) in by_name:
            existing = by_name[fold(printed)].id
        if existing is not None:
            key = existing
        elif span.place is not None:
            key = fold(span.place.place)
        else:
            key = fold(printed)
        entity = entities.get(key)
        if entity is None:
            entry = next((e for e in catalogue.records if e.id == existing), None)
            entity = entities[key] = Entity(
                key,
                entry.name_zh_hant if entry else (span.place.name_zh_hant if span.place is not None else printed),
                entry.layer if entry else span.layer,
                entry.category if entry else span.category,
                span.rule,
                existing=existing,
                place=span.place,
                checks=span.checks,
            )
        entity.spans.append(span)
        if span.place is None:
            entity.forms[printed] = entity.forms.get(printed, 0) + 1
    _merge_place_prefixed(entities)
    _merge_abbreviations(entities)
    owner = {id(span): entity for entity in entities.values() for span in entity.spans}
    for span in branches:  # one branch of one parent, however often it is named
        parent = owner.get(id(span.parent))
        if parent is None:
            continue
        printed = text[span.start : span.end]
        key = f"{parent.key}/{fold(printed)}"
        entity = entities.get(key)
        if entity is None:
            entity = entities[key] = Entity(key, printed, span.layer, span.category, span.rule, checks=span.checks)
            entity.branch_of, entity.own = span.parent, printed
        entity.spans.append(span)
        owner[id(span)] = entity
    for span in refs:
        entity = owner.get(id(span.ref))
        if entity is not None:
            entity.spans.append(span)
    return entities


def _without_government(name: str) -> str:
    """香港特區政府醫務衞生局 -> 醫務衞生局: a department is named without its government."""
    at = name.find("政府")
    return name[at + 2 :] if 0 <= at and len(name) - at - 2 >= 3 else name


def _is_abbreviation(short: str, long: str) -> bool:
    """深圳市衞健委 of 深圳市衞生健康委員會, 醫衞局 of 醫務衞生局: same first character, the short
    one's characters in order in the long one, its last among the long one's last three."""
    long = _without_government(long)
    if len(short) < 3 or len(short) >= len(long) or short in long:
        return False  # a name inside another is its parent or the same name with a place before it
    if short[0] != long[0] or short[-1] not in long[-3:]:
        return False
    at = 0
    for char in short:
        at = long.find(char, at)
        if at < 0:
            return False
        at += 1
    return True


def _merge_abbreviations(entities: dict[str, Entity]) -> None:
    keys = [k for k, e in entities.items() if e.existing is None and e.place is None and e.branch_of is None]
    for short in sorted(keys, key=len):
        longs = [k for k in keys if k in entities and k != short and _is_abbreviation(short, k)]
        if len(longs) != 1 or short not in entities:
            continue
        target, gone = entities[longs[0]], entities.pop(short)
        target.spans.extend(gone.spans)
        target.aliases.extend(form for form in gone.forms if form not in target.aliases)


def _merge_place_prefixed(entities: dict[str, Entity]) -> None:
    """珠海橫琴先進智能計算平台 and 橫琴先進智能計算平台 are one: a longer form that is a shorter one
    with a few words before it (a place, a descriptor) is merged into it; the most printed form names it."""
    keys = [k for k, e in entities.items() if e.existing is None and e.place is None and e.branch_of is None]
    for long in sorted(keys, key=len, reverse=True):
        shorts = [k for k in keys if k in entities and k != long and len(k) >= 4 and long.endswith(k)]
        shorts = [k for k in shorts if len(long) - len(k) <= 4]
        # a four-character one (特區政府) only when no other name ends with it (城市大學: 香港…, 澳門…)
        shorts = [k for k in shorts if len(k) >= 5 or sum(other.endswith(k) for other in keys if other != k) == 1]
        if not shorts or long not in entities:
            continue
        target, gone = entities[max(shorts, key=len)], entities.pop(long)
        target.spans.extend(gone.spans)
        for form, count in gone.forms.items():
            target.forms[form] = target.forms.get(form, 0) + count


# -- the proposals --------------------------------------------------------------------------


def _slug(name: str) -> str:
    from pypinyin import lazy_pinyin

    words = []
    for piece in lazy_pinyin(to_simplified(name), errors=lambda chars: [chars]):
        words.extend(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", piece).lower()))
    return "-".join(words[:14]) or "record"


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _sentence_of(bounds: list[tuple[int, int]], index: int) -> tuple[int, int]:
    for a, b in bounds:
        if a <= index < b:
            return a, b
    return index, index


_TENSES = (
    ("proposed", rules.PROPOSED_WORDS),
    ("planned", rules.PLANNED_WORDS),
    ("under_construction", rules.UNDER_CONSTRUCTION_WORDS),
    ("operating", rules.OPERATING_WORDS),
)


def _status(folded_sentence: str, at: int | None = None) -> str:
    """The tense of a sentence: the tense word nearest before ``at`` (a name, a cue) when there is
    one ("已設立澳門分中心並將籌建香港分中心": operating for the first, planned for the second),
    else the first kind found (proposed, planned, under construction), else operating."""
    if at is not None:
        found = [
            (folded_sentence.rfind(word, 0, at + 1), status)
            for status, words in _TENSES
            for word in words
            if 0 <= folded_sentence.rfind(word, 0, at + 1)
        ]
        if found:
            return max(found)[1]
    for status, words in _TENSES[:3]:
        if any(word in folded_sentence for word in words):
            return status
    return "operating"


def _year(folded_sentence: str) -> int | None:
    found = re.search(r"((?:19|20)\d\d)年", folded_sentence)
    return int(found.group(1)) if found else None


def _script_forms(printed: str) -> tuple[str, str]:
    """(Traditional, Simplified) of a printed name: OpenCC makes whichever the article did not print."""
    simplified = to_simplified(printed)
    if simplified == printed and to_traditional(printed) != printed:
        return to_traditional(printed), printed
    return printed, simplified


def _english_after(text: str, end: int) -> str | None:
    """An English name the article gives in brackets right after the name: 香港科技大學（HKUST）."""
    found = re.match(r"\s*[(（]\s*([A-Za-z][A-Za-z0-9&.,' -]{1,80}?)\s*[)）]", text[end : end + 90])
    return found.group(1) if found else None


# A line break inside a sentence (a print page's column end: "依託澳門分中\n\n心，為澳門…"):
# after a long line that does not end a sentence, between two characters of running text.
SOFT_BREAK = re.compile(r"(?<=[\u4e00-\u9fff0-9a-zA-Z，、])\n\s*(?=[\u4e00-\u9fff0-9%％])")
MIN_RUNNING_LINE = 30


def soft_breaks(text: str) -> tuple[str, list[int]]:
    """``text`` with soft line breaks removed, and the offset in ``text`` of each character kept."""
    keep = [True] * len(text)
    for match in SOFT_BREAK.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if match.start() - line_start >= MIN_RUNNING_LINE:
            for index in range(match.start(), match.end()):
                keep[index] = False
    offsets = [index for index, kept in enumerate(keep) if kept]
    return "".join(text[index] for index in offsets), offsets


def propose(text: str, *, citation: str, catalogue: Catalogue, places: Places, year: int | None = None) -> Proposals:
    """Everything the article suggests, as proposal entries (see the module docstring).

    Quotes and their offsets are the article's own: a sentence broken across a column end is
    read joined and quoted as printed (the build's quote check ignores the line break).
    """
    view, offsets = soft_breaks(text)
    found = _propose(view, citation=citation, catalogue=catalogue, places=places, year=year)
    if len(view) == len(text):
        return found
    for item in found.proposals:
        meta = item["proposal"]
        start, end = meta["quote"]["start"], meta["quote"]["end"]
        start, end = offsets[start], offsets[end - 1] + 1
        meta["quote"] = {"start": start, "end": end}
        quote = text[start:end]
        body = item.get("record") or item.get("link")
        if body is not None:
            body["sources"][0]["quote"] = quote
        elif "source" in item:
            item["source"]["quote"] = quote
        else:
            item["figure"]["quote"] = quote
    return found


def _propose(text: str, *, citation: str, catalogue: Catalogue, places: Places, year: int | None) -> Proposals:
    folded = fold(text)
    bounds = sentences(text)
    raw = (
        _catalogue_spans(folded, catalogue)
        + _ending_spans(folded, bounds)
        + _title_spans(folded, bounds, places)
        + _list_spans(folded, bounds)
        + _standalone_spans(folded)
        + _area_list_spans(folded, bounds)
    )
    spans = _resolve(raw, folded)
    place_spans = [
        s for s in _place_spans(folded, places, bounds) if not any(s.start < k.end and k.start < s.end for k in spans)
    ]
    spans = sorted(spans + place_spans + _echo_spans(folded, spans + place_spans), key=lambda s: s.start)
    _name_branches(text, folded, spans, bounds)
    spans = sorted(spans + _person_spans(folded, spans), key=lambda s: s.start)
    entities = _entities(text, folded, spans, catalogue)
    order = sorted(entities.values(), key=lambda e: min(s.start for s in e.spans))
    taken = {entry.id for entry in catalogue.records}
    entity_of_span = {id(span): entity for entity in order for span in entity.spans}
    for entity in order:
        if entity.forms and not entity.existing:
            entity.name = max(entity.forms.items(), key=lambda kv: (kv[1], len(kv[0])))[0]
    for entity in order:
        if entity.branch_of is not None:
            parent = entity_of_span.get(id(entity.branch_of))
            if parent is not None:
                entity.parent = parent.key
                entity.name = parent.name + entity.own
                entity.rule = f"branch {entity.own} of {parent.name}"
    for entity in order:
        entity.record_id = entity.existing or _unique(_slug(entity.name), taken)
    by_key = {e.key: e for e in order}
    _parents(order, by_key)

    out = Proposals(citation)
    proposal_ids: set[str] = set()
    for entity in order:
        first = min(entity.spans, key=lambda s: s.start)
        s_start, s_end = _sentence_of(bounds, first.start)
        quote = text[s_start:s_end]
        meta_quote = {"start": s_start, "end": s_end}
        if entity.existing:
            out.proposals.append(
                {
                    "proposal": {
                        "id": _unique(f"mention-{entity.record_id}", proposal_ids),
                        "kind": "mention",
                        "target": entity.record_id,
                        "check": [],
                        "evidence": entity.rule,
                        "quote": meta_quote,
                    },
                    "source": {"citation": citation, "quote": quote},
                }
            )
            continue
        out.proposals.append(
            _record_proposal(entity, text, folded, bounds, places, citation, quote, meta_quote, proposal_ids)
        )
    out.proposals.extend(
        _link_proposals(text, folded, bounds, spans, entities, citation, proposal_ids, catalogue, year)
    )
    out.proposals.extend(_figure_proposals(text, folded, bounds, spans, entities, proposal_ids))
    return out


def _name_branches(text: str, folded: str, spans: list[Span], bounds) -> None:
    """Add the spans of branches (澳門分中心, 大灣區總部): named after their parent once it has a name."""
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        for ending, category in rules.BRANCH_ENDINGS.items():
            for match in re.finditer(re.escape(ending), sentence):
                end = s_start + match.end()
                if any(s.start < end and s.end >= end for s in spans):
                    continue  # already inside a name
                start = name_start(folded, s_start + match.start(), s_start)
                if start is None or not _named(folded[start : s_start + match.start()]):
                    continue
                parent = _branch_parent(spans, s_start, s_end, start)
                if parent is None:
                    continue
                branch_category = rules.BRANCH_CATEGORY.get(parent.layer, category)
                layer = parent.layer if parent.layer != "zones" else "agencies"
                branch = Span(start, end, layer, branch_category, f"branch {ending}", checks=("name",))
                branch.parent = parent
                # a place inside the branch's name (澳門 of 澳門分中心) is part of the name, not a party
                spans[:] = [s for s in spans if not (s.place is not None and start <= s.start and s.end <= end)]
                spans.append(branch)
    spans.sort(key=lambda s: s.start)


def _branch_parent(spans: list[Span], s_start: int, s_end: int, at: int) -> Span | None:
    """The organisation a branch belongs to: the nearest one of its sentence, else the last before it."""

    def fit(span: Span) -> bool:
        return span.place is None and span.layer not in ("zones",) and not span.rule.startswith("branch")

    inside = [s for s in spans if s_start <= s.start < s_end and fit(s)]
    if inside:
        return min(inside, key=lambda s: abs(s.start - at))
    before = [s for s in spans if s.end <= s_start and fit(s)]
    return before[-1] if before else None


def _parents(order: list[Entity], by_key: dict[str, Entity]) -> None:
    """A compound's parent: an entity whose full name begins this one (香港中文大學 of 香港中文大學深圳研究院)."""
    names = [(fold(e.name), e) for e in order]
    for entity in order:
        if entity.parent:
            continue
        own = fold(entity.name)
        best = None
        for name, other in names:
            if other is entity or len(name) < 4 or not own.startswith(name) or len(own) - len(name) < 2:
                continue
            if best is None or len(name) > len(fold(best.name)):
                best = other
        if best is not None:
            entity.parent = best.key


def _record_proposal(entity, text, folded, bounds, places, citation, quote, meta_quote, proposal_ids) -> dict:
    hant, hans = _script_forms(entity.name)
    first = min(entity.spans, key=lambda s: s.start)
    s_start, s_end = _sentence_of(bounds, first.start)
    record: dict = {"id": entity.record_id, "category": entity.category, "name_zh_hant": hant, "name_zh_hans": hans}
    english = _english_after(text, first.end)
    checks = list(entity.checks)
    if english and english.isupper() and len(english) <= 8:
        record["aliases"] = [english]
    elif english:
        record["name_en"] = english
    elif entity.place is not None and entity.place.name_en:
        record["name_en"] = entity.place.name_en
    if "name_en" not in record:
        checks.append("english_name")
    own = _without_government(fold(entity.name))
    if entity.place is None and own != fold(entity.name):  # 醫務衞生局 of 香港特區政府醫務衞生局
        entity.aliases.insert(0, entity.name[len(entity.name) - len(own) :])
    for form in sorted(entity.forms, key=len):  # a fuller form printed too (珠海橫琴先進智能計算平台)
        if len(form) > len(entity.name) and fold(form).endswith(fold(entity.name)):
            entity.aliases.append(form)
    for alias in entity.aliases:  # a short form the article prints (醫衞局 of 醫務衞生局)
        if alias not in record.setdefault("aliases", []):
            record["aliases"].append(alias)
    if entity.place is not None and entity.forms == {} and fold(entity.name) != fold(text[first.start : first.end]):
        record.setdefault("aliases", []).append(text[first.start : first.end])
    record["status"] = _status(folded[s_start:s_end], first.start - s_start)
    checks += ["status", "description"]
    year = _year(folded[s_start:s_end])
    if year:
        record["year"] = year
        checks.append("year")
    if is_outlined(entity.layer):
        checks.append("outline")
    else:
        place = entity.place or _place_for(entity, folded, bounds, places)
        if place is not None:
            printed = place.name_zh_hant
            record["location"] = {
                "place": place.place,
                "precision": "district" if place.level == "district" else "city",
                "source": (
                    f"Approximate: the article gives only {printed} for it (proposed by ingest); placed at that "
                    f"{'district' if place.level == 'district' else 'city'}'s representative point, not at a known address."
                ),
                "source_zh_hant": f"約略位置：文章只提供{printed}（由匯入程序建議）；置於該{'區' if place.level == 'district' else '市'}的代表點，並非已知地址。",
            }
            checks.append("approximate_position")
        else:
            checks.append("position")
    record["sources"] = [{"citation": citation, "quote": quote}]
    return {
        "proposal": {
            "id": _unique(f"record-{entity.record_id}", proposal_ids),
            "kind": "record",
            "layer": entity.layer,
            "check": [c for c in CHECKS if c in checks],
            "evidence": entity.rule,
            "quote": meta_quote,
        },
        "record": record,
    }


def _place_for(entity: Entity, folded: str, bounds, places: Places):
    """A place the name begins with (深圳技術大學), else one the sentence puts it in (落戶坪山, 在坪山)."""
    name = fold(entity.name)
    for length in range(min(len(name), 9), 1, -1):
        place = places.find(name[:length])
        if place is not None and place.in_gba:
            return place
    for span in entity.spans:
        _, s_end = _sentence_of(bounds, span.start)
        after = folded[span.end : s_end]
        found = re.search(r"(?:落户|位于|布局|在)([\u4e00-\u9fff]{2,7})", after[:24])
        if found:
            for length in range(len(found.group(1)), 1, -1):
                place = places.find(found.group(1)[:length])
                if place is not None and place.in_gba:
                    return place
    return None


def _cue(folded_sentence: str):
    """The cue of a sentence (the earliest one) and where it is."""
    best = None
    for cue, link_type, direction in rules.LINK_CUES:
        at = folded_sentence.find(cue)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, cue, link_type, direction)
    return best


def _masked(folded: str, spans: list[Span]) -> str:
    """``folded`` with every name blanked out, so a cue is never read inside a name (合作 in 合作區)."""
    chars = list(folded)
    for span in spans:
        for index in range(span.start, span.end):
            chars[index] = "\u25a1"
    return "".join(chars)


def _link_proposals(text, folded, bounds, spans, entities, citation, proposal_ids, catalogue, year) -> list[dict]:
    folded = _masked(folded, spans)
    key_of = {}
    for entity in entities.values():
        for span in entity.spans:
            key_of[id(span)] = entity
    out = []
    seen: set[frozenset] = set()

    def add(a: Entity, b: Entity, link_type: str, directed: bool, evidence: str, s_start: int, s_end: int, checks):
        if a is b or a.record_id == b.record_id:
            return
        pair = frozenset((a.record_id, b.record_id))
        if pair in seen or catalogue.has_link(a.record_id, b.record_id):
            return
        seen.add(pair)
        sentence = folded[s_start:s_end]
        link = {
            "id": f"{a.record_id}-{b.record_id}"[:80].strip("-"),
            "from": a.record_id,
            "to": b.record_id,
            "link_type": link_type,
            "status": _status(sentence, _last_position(a, b, s_start, s_end)),
        }
        found_year = _year(sentence) or year
        if found_year:
            link["year"] = found_year
        link["directed"] = directed
        link["sources"] = [{"citation": citation, "quote": text[s_start:s_end]}]
        check = (
            ["link_type", "status", "description"]
            + (["direction"] if directed else [])
            + (["year"] if found_year else [])
        )
        check += checks
        out.append(
            {
                "proposal": {
                    "id": _unique(f"link-{a.record_id}-{b.record_id}"[:100].strip("-"), proposal_ids),
                    "kind": "link",
                    "check": [c for c in CHECKS if c in check],
                    "evidence": evidence,
                    "quote": {"start": s_start, "end": s_end},
                },
                "link": link,
            }
        )

    hosts = _host_zones(text, entities)
    event_lead = None
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        parties = _parties(spans, key_of, s_start, s_end)
        if any(w in sentence for w in rules.HOSTING_CUES):
            # "坪山已聚集了…企業": a zone hosts firms and universities, so a bare place that begins
            # the name of a zone of the article stands for that zone here
            parties = [(pos, hosts.get(id(e), e), span) for pos, e, span in parties]
        # a compound and its parent (香港中文大學深圳研究院 of 香港中文大學): governance, parent -> child
        for _, entity, _ in parties:
            if entity.parent and entity.parent in entities:
                parent = entities[entity.parent]
                if parent.layer == "zones" and entity.layer == "agencies":
                    add(entity, parent, "governance", True, "name contains the area it runs", s_start, s_end, [])
                else:
                    add(parent, entity, "governance", True, "name contains its parent's", s_start, s_end, [])
        active = [(pos, e) for pos, e, span in parties if not span.nested]
        linked = False
        first_cue = _cue(sentence)
        attending = [sentence.find(w) for w in rules.ATTENDING_WORDS if w in sentence]
        if attending and first_cue is not None and min(attending) < first_cue[0] + 4:
            continue  # "…和其他官員亦有出席簽署儀式": those present did not sign with each other
        # 港資…醫院: the region's capital owns the next body named in the sentence
        for pos, entity, span in parties:
            if span.invests:
                owned = [e for p, e in active if p > pos and e.place is None]
                if owned:
                    add(
                        entity, owned[0], "industry", True, f"capital {text[span.start : span.end]}", s_start, s_end, []
                    )
        # 1. clause by clause: a cue and the bodies of its clause
        clauses = list(_clauses(folded, s_start, s_end))
        for c_start, c_end in clauses:
            clause = [(pos, e) for pos, e in active if c_start <= pos < c_end]
            cue = _cue(folded[c_start:c_end])
            if cue is None:
                continue
            at, word, link_type, direction = cue
            if len(clause) >= 2:
                linked |= _pair(clause, c_start + at, word, link_type, direction, add, s_start, s_end)
            elif len(clause) == 1 and word in rules.LOCATING_CUES:
                host = [e for pos, e in active if pos < clause[0][0] and (e.layer == "zones" or e.place is not None)]
                if host:
                    add(clause[0][1], host[-1], link_type, True, f"cue {word}", s_start, s_end, [])
                    linked = True
            elif len(clause) == 1:
                # "…之後，深圳市政府發布…支持意見": the clause's body acts on the bodies of the clause
                # before (all of them when that clause has no cue of its own, else its subject:
                # "未來坪山高新區將學習借鑒…，同香港生產力促進局合作")
                previous = _previous_clause(folded, clauses, c_start, active)
                for b in previous:
                    if b is not clause[0][1]:
                        add(clause[0][1], b, link_type, direction is not None, f"cue {word}", s_start, s_end, [])
                        linked = True
        # 2. an official speaking (…副主任曾堅朋介紹，坪山高新區要…): the speaker's body -> the others
        speaker_at = next((sentence.find(w) for w in rules.SPEAKER_CUES if w in sentence), -1)
        if speaker_at >= 0:
            speakers = [e for pos, e, span in parties if pos < s_start + speaker_at and (span.person or span.ref)]
            others = [e for pos, e in active if pos > s_start + speaker_at]
            for a in speakers[:1]:
                for b in others:
                    layer_type = "governance" if a.layer == "agencies" else "research"
                    add(a, b, layer_type, True, "an official speaks of it", s_start, s_end, [])
                    linked = True
        # 3. a joint event: the lead organiser; later speakers take part in it
        cue = _cue(sentence)
        if cue is not None and cue[2] == "event" and active:
            event_lead = active[0][1]
        elif event_lead is not None and any(w in sentence for w in rules.EVENT_PART_CUES):
            for _, entity in active:
                add(entity, event_lead, "event", False, "speaks at the event", s_start, s_end, [])
                linked = True
        # 4. the sentence's cue over all its bodies, when no clause linked them or when the cue
        # relates everything the sentence names (…形成錯位發展格局, …實現共贏)
        wide = next(((sentence.find(w), w) for w in rules.SENTENCE_CUES if w in sentence), None)
        if wide is not None and len(active) >= 2:
            row = next(r for r in rules.LINK_CUES if r[0] == wide[1])
            _pair(active, s_start + wide[0], wide[1], row[1], None, add, s_start, s_end)
        elif not linked and cue is not None and len(active) >= 2:
            at, word, link_type, direction = cue
            _pair(active, s_start + at, word, link_type, direction, add, s_start, s_end)
    return out


def _host_zones(text: str, entities: dict) -> dict:
    """For each place standing as a party, the zone of the article its printed name begins (坪山 -> 坪山高新區)."""
    zones = [e for e in entities.values() if e.layer == "zones" and e.place is None]
    out = {}
    for entity in entities.values():
        if entity.place is None:
            continue
        printed = {fold(text[span.start : span.end]) for span in entity.spans}
        named = [z for z in zones if any(fold(z.name).startswith(p) for p in printed)]
        if named:
            out[id(entity)] = max(named, key=lambda z: len(z.spans))
    return out


def _last_position(a, b, s_start: int, s_end: int) -> int | None:
    """Where the later of two bodies is named in a sentence (relative to its start), if both are."""
    found = [min((sp.start for sp in e.spans if s_start <= sp.start < s_end), default=None) for e in (a, b)]
    return max(found) - s_start if None not in found else None


def _parties(spans, key_of, s_start, s_end):
    """(position, entity, span) of each body of a sentence, first mention only."""
    out = []
    for span in spans:
        if s_start <= span.start < s_end:
            entity = key_of.get(id(span))
            if entity is not None and all(entity is not e for _, e, _ in out):
                out.append((span.start, entity, span))
    return out


def _previous_clause(folded, clauses, c_start, active) -> list:
    """The bodies of the nearest earlier clause that names any: all of them, or its first when it has a cue."""
    for a, b in reversed([c for c in clauses if c[1] <= c_start]):
        named = [e for pos, e in active if a <= pos < b]
        if named:
            return named[:1] if _cue(folded[a:b]) else named
    return []


def _clauses(folded: str, s_start: int, s_end: int):
    start = s_start
    for index in range(s_start, s_end + 1):
        if index == s_end or folded[index] in rules.CLAUSE_ENDS:
            if index > start:
                yield start, index
            start = index + 1


def _pair(parties, at, word, link_type, direction, add, s_start, s_end) -> bool:
    """Link the bodies around a cue: a joint event from its lead, a directed cue across it, else every pair.

    Two bodies named by one word (港澳) are not linked to each other."""
    before = [(pos, e) for pos, e in parties if pos < at]
    after = [(pos, e) for pos, e in parties if pos >= at]
    if link_type == "event":
        lead_pos, lead = parties[0]
        for pos, other in parties[1:]:
            if pos != lead_pos:
                add(lead, other, link_type, False, f"cue {word}", s_start, s_end, [])
        return True
    if direction is not None and before and after:
        sources, targets = (before, after) if direction == "forward" else (after, before)
        for pa, a in sources:
            for pb, b in targets:
                if pa != pb:
                    add(a, b, link_type, True, f"cue {word}", s_start, s_end, [])
        return True
    for i, (pa, a) in enumerate(parties):
        for pb, b in parties[i + 1 :]:
            if pa != pb:
                add(a, b, link_type, False, f"cue {word}", s_start, s_end, [])
    return True


def _figure_proposals(text, folded, bounds, spans, entities, proposal_ids) -> list[dict]:
    key_of = {}
    for entity in entities.values():
        for span in entity.spans:
            key_of[id(span)] = entity
    out = []
    seen: set[tuple[str, str]] = set()
    last_subject = None
    for s_start, s_end in bounds:
        sentence = folded[s_start:s_end]
        inside = [s for s in spans if s_start <= s.start < s_end and id(s) in key_of]
        for pattern, key, factor in rules.FIGURE_PATTERNS:
            for match in re.finditer(pattern, sentence):
                number_at = s_start + match.start()
                target = _figure_target(folded, inside, key_of, number_at, s_start + match.end())
                checks = ["figure_unit"]
                if target is None:
                    target = last_subject
                    checks.append("target")
                if target is None:
                    continue
                value = round(float(match.group(1)) * factor, 6)
                value = int(value) if value == int(value) else value
                if (target.record_id, key) in seen:
                    continue
                seen.add((target.record_id, key))
                out.append(
                    {
                        "proposal": {
                            "id": _unique(f"figure-{target.record_id}-{key.replace('_', '-')}", proposal_ids),
                            "kind": "figure",
                            "target": target.record_id,
                            "check": [c for c in CHECKS if c in checks],
                            "evidence": f"number {match.group(0)}",
                            "quote": {"start": s_start, "end": s_end},
                        },
                        "figure": {"key": key, "value": value, "quote": text[s_start:s_end]},
                    }
                )
        organisations = [s for s in inside if key_of[id(s)].place is None]
        if organisations:
            last_subject = key_of[id(organisations[0])]
        elif inside:
            last_subject = key_of[id(inside[0])]
    return out


def _figure_target(folded, inside, key_of, number_at, number_end):
    """The organisation a number is about: the one it describes (…的X), else the nearest before it."""
    after = [s for s in inside if s.start >= number_end and folded[number_end : s.start].strip().startswith("的")]
    if after and after[0].start - number_end <= 2:
        return key_of[id(after[0])]
    before = [s for s in inside if s.end <= number_at]
    organisations = [s for s in before if key_of[id(s)].place is None]
    pick = organisations or before
    return key_of[id(pick[-1])] if pick else None
