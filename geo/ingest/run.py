"""``python -m geo ingest``: store an article and its citation, then write its proposal file.

Every check runs before anything is written; then the article copy, the citation entry and the
proposal file are written (each atomically), and the first two are undone if a later write
fails, so a refused or failed ingest leaves the sources as they were.  Ingesting the same
article with the same metadata again changes nothing and says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from geo import io
from geo.ingest import proposals as proposals_mod
from geo.ingest.article import (
    ArticleError,
    append_citation,
    check_metadata,
    citation_entry,
    citation_id,
    read_article,
    read_citations,
    same_text_elsewhere,
    sha256_text,
    stored_text,
)
from geo.ingest.catalogue import Catalogue, Places
from geo.ingest.extract import propose
from geo.sources import CITATIONS_FILE


@dataclass
class IngestResult:
    citation: str
    unchanged: bool
    counts: dict = field(default_factory=dict)
    needs: dict = field(default_factory=dict)  # check -> number of proposals that need it
    proposal_file: str = ""
    written: list[str] = field(default_factory=list)


def ingest(
    data_dir: Path,
    article_path: Path,
    *,
    title: str,
    publisher: str,
    date: str,
    url: str | None = None,
    author: str | None = None,
    citation: str | None = None,
) -> IngestResult:
    """Ingest ``article_path`` into ``data_dir/sources``; raises ``ArticleError`` having changed nothing."""
    sources = Path(data_dir) / "sources"
    article = read_article(article_path)
    cid = citation or citation_id(title or "", publisher or "", date or "", article.text)
    check_metadata(title, publisher, date, cid)
    entry = citation_entry(title, publisher, date, url, author, cid)
    citations_text, citations = read_citations(sources)
    proposal_rel = f"{proposals_mod.PROPOSED_DIR}/{cid}.yaml"
    if cid in citations:
        known = citations[cid]
        if known == entry and stored_text(sources, known) == article.text:
            return IngestResult(cid, True, proposal_file=proposal_rel)
        raise ArticleError(
            f"citation {cid!r} already exists in {CITATIONS_FILE} with other metadata or another text: "
            "choose another --citation, or edit that citation by hand"
        )
    other = same_text_elsewhere(sources, citations, article.text, cid)
    if other is not None:
        raise ArticleError(f"{article_path}: this text is already ingested as citation {other!r}: nothing to do")
    article_file = sources / entry["file"]
    proposal_file = sources / proposal_rel
    for path in (article_file, proposal_file):
        if path.exists():
            raise ArticleError(
                f"{path.relative_to(sources)} exists but no citation {cid!r} does: remove it or choose another --citation"
            )
    catalogue = Catalogue.from_sources(sources)
    try:
        places = Places.from_data(Path(data_dir))
    except (OSError, ValueError, KeyError) as exc:
        raise ArticleError(
            f"{data_dir}/boundaries or gazetteer.csv cannot be read ({exc}): run `make boundaries`"
        ) from None
    found = propose(article.text, citation=cid, catalogue=catalogue, places=places, year=int(date.strip()[:4]))
    document = {
        "article": {"citation": cid, "file": entry["file"], "sha256": sha256_text(article.text)},
        "proposals": found.proposals,
    }
    texts = [
        (article_file, article.text),
        (sources / CITATIONS_FILE, append_citation(citations_text, cid, entry)),
        (proposal_file, proposals_mod.dump(document, entry["title"], entry["publisher"], entry["date"])),
    ]
    done: list[tuple[Path, str | None]] = []
    try:
        for path, text in texts:
            before = path.read_text(encoding="utf-8") if path.exists() else None
            io.write_text_atomic(path, text)
            done.append((path, before))
    except OSError as exc:
        for path, before in reversed(done):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                io.write_text_atomic(path, before)
        raise ArticleError(
            f"{exc.filename or sources}: cannot write ({exc.strerror or exc}); nothing was changed"
        ) from None
    needs: Counter = Counter()
    for item in found.proposals:
        needs.update(item["proposal"]["check"])
    return IngestResult(
        cid,
        False,
        found.counts(),
        {check: needs[check] for check in proposals_mod.CHECKS if needs[check]},
        proposal_rel,
        [str(path.relative_to(sources)) for path, _ in texts],
    )


def report(result: IngestResult) -> str:
    """What the editor reads after an ingest: counts per kind and what needs a person."""
    if result.unchanged:
        return (
            f"already ingested as {result.citation} with the same text and metadata: nothing changed\n"
            f"proposals: data/sources/{result.proposal_file}\n"
        )
    lines = [f"ingested as {result.citation}: wrote " + ", ".join(f"data/sources/{w}" for w in result.written)]
    lines.append("proposed: " + ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in result.counts.items()))
    if result.needs:
        lines.append("needs a person (proposals to check, by what):")
        for check, number in result.needs.items():
            lines.append(f"  {number:4d} {check}: {proposals_mod.CHECKS[check]}")
    lines.append(
        f"nothing is on the map until accepted: python -m geo proposals show {result.citation}, "
        "or the review page (GBA_REVIEW=1)"
    )
    return "\n".join(lines) + "\n"
