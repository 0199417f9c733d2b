"""Read an article file (text or HTML, in any of the usual Chinese encodings) and store it as cited.

The stored copy is plain UTF-8 text in ``data/sources/articles/<citation>.txt`` and its citation
entry is appended to ``data/sources/citations.yaml`` (title, publisher, date, url, author, file),
which is what the build's quote check reads.  Every refusal is an ``ArticleError`` naming the file
and the problem; nothing is written before every check has passed.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from geo.schema import ARTICLES_DIR, id_problem
from geo.sources import CITATIONS_FILE

# Tried in this order when the bytes carry no BOM: strict decoding decides, never a guess.
ENCODINGS = ("utf-8", "gb18030", "big5")
MAX_BYTES = 2_000_000  # a news article is tens of kB; anything this big is not one


class ArticleError(ValueError):
    """An article that cannot be ingested; ``message`` names the file and the problem."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Article:
    text: str  # plain text, as stored
    encoding: str  # what the file was read as
    was_html: bool

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ArticleError(f"{name}: starts with a UTF-8 BOM but is not UTF-8 (byte {exc.start + 3})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ArticleError(f"{name}: starts with a UTF-16 BOM but is not UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{name}: binary file (it holds NUL bytes), not a text or HTML article")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # GB18030 decodes almost any bytes, Big5 ones included (as rare characters): of the decodings
    # that succeed, keep the one that reads as the most ordinary Chinese characters.
    decoded = []
    for encoding in ENCODINGS[1:]:
        try:
            decoded.append((_ordinary_han(data.decode(encoding)), encoding, data.decode(encoding)))
        except UnicodeDecodeError:
            continue
    if decoded:
        _, encoding, text = max(decoded, key=lambda found: found[0])
        return text, encoding
    raise ArticleError(
        f"{name}: not text in any encoding tried ({', '.join(ENCODINGS)}): save it as UTF-8 and try again"
    )


def _ordinary_han(text: str) -> int:
    """How many characters of ``text`` are Chinese characters of the everyday sets (GB2312 or Big5)."""
    count = 0
    for char in text:
        if "\u4e00" <= char <= "\u9fff":
            for encoding in ("gb2312", "big5"):
                try:
                    char.encode(encoding)
                except UnicodeEncodeError:
                    continue
                count += 1
                break
    return count


_BLOCK = re.compile(r"</?(?:p|div|br|h[1-6]|li|tr|section|article|blockquote|figcaption|title)\b[^>]*>", re.I)
_DROP = re.compile(r"<(script|style|noscript|head|nav|footer|template)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")


def looks_like_html(text: str) -> bool:
    return re.search(r"<(?:html|body|p|div|br|article|h1|h2)\b[^>]*>", text[:20000], re.I) is not None


def html_to_text(markup: str) -> str:
    """The readable text of an HTML page: scripts and page chrome dropped, one line per block."""
    text = _DROP.sub(" ", re.sub(r"<!--.*?-->", " ", markup, flags=re.S))
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return text


def _tidy(text: str) -> str:
    """Line ends unified, trailing spaces and runs of blank lines cut, NFC, no control characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""


def read_article(path: Path) -> Article:
    """Read ``path`` as an article, or raise ``ArticleError`` (empty, binary, undecodable, too big)."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ArticleError(f"{name}: is a directory, not an article file") from None
    except OSError as exc:
        raise ArticleError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise ArticleError(f"{name}: the file is empty")
    if len(data) > MAX_BYTES:
        raise ArticleError(f"{name}: {len(data)} bytes is too big for an article (limit {MAX_BYTES})")
    text, encoding = _decode(data, name)
    was_html = looks_like_html(text)
    if was_html:
        text = html_to_text(text)
    text = _tidy(text)
    if not any(not c.isspace() for c in text):
        raise ArticleError(f"{name}: the file holds no text" + (" (only HTML markup)" if was_html else ""))
    if sum(unicodedata.category(c).startswith(("L", "N")) for c in text) < len(text.replace("\n", "")) / 4:
        raise ArticleError(f"{name}: does not read as text (mostly symbols): is it the right file and encoding?")
    return Article(text, encoding, was_html)


# -- citations -------------------------------------------------------------------------


def citation_id(title: str, publisher: str, date: str, text: str) -> str:
    """A stable id when none is given: publisher's Latin words (or 'article'), the date, a text digest."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", publisher).lower())
    head = "-".join(words[:3]) or "article"
    day = "-".join(re.findall(r"\d+", date)) or "undated"
    return f"{head}-{day}-{sha256_text(text)[:8]}"


def citation_entry(title: str, publisher: str, date: str, url: str | None, author: str | None, cid: str) -> dict:
    entry = {"title": title.strip(), "publisher": publisher.strip(), "date": date.strip()}
    if url:
        entry["url"] = url.strip()
    if author:
        entry["author"] = author.strip()
    entry["file"] = f"{ARTICLES_DIR}/{cid}.txt"
    return entry


def check_metadata(title: str, publisher: str, date: str, cid: str) -> None:
    for label, value in (("--title", title), ("--publisher", publisher), ("--date", date)):
        if not isinstance(value, str) or not value.strip():
            raise ArticleError(f"{label} is empty: every citation names its title, publisher and date")
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date.strip()):
        raise ArticleError(f"--date {date!r} must be YYYY, YYYY-MM or YYYY-MM-DD")
    problem = id_problem(cid)
    if problem:
        raise ArticleError(f"--citation: {problem}")


def read_citations(sources_dir: Path) -> tuple[str, dict]:
    path = Path(sources_dir) / CITATIONS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "", {}
    try:
        found = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ArticleError(f"{path}: not valid YAML ({exc}); fix it before ingesting") from None
    if not isinstance(found, dict):
        raise ArticleError(f"{path}: expected a mapping of citation id -> fields")
    return text, found


def stored_text(sources_dir: Path, entry: dict) -> str | None:
    file = entry.get("file") if isinstance(entry, dict) else None
    if not isinstance(file, str):
        return None
    try:
        return (Path(sources_dir) / file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def same_text_elsewhere(sources_dir: Path, citations: dict, text: str, cid: str) -> str | None:
    """The id of a citation (other than ``cid``) whose stored article has the same text, if any."""
    key = "".join(text.split())
    for other, entry in citations.items():
        if other == cid:
            continue
        stored = stored_text(sources_dir, entry)
        if stored is not None and "".join(stored.split()) == key:
            return other
    return None


def append_citation(text: str, cid: str, entry: dict) -> str:
    """``citations.yaml`` text with the entry appended (the existing text and comments untouched)."""
    block = yaml.safe_dump({cid: entry}, allow_unicode=True, sort_keys=False, width=4096)
    return (text.rstrip("\n") + "\n" if text.strip() else "") + block
