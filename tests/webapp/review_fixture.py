"""A proposal file for the review tests: a short test article (written for these tests, not a real
report), its citation, and five proposals in the format of geo.ingest.proposals, added to a
temporary copy of the data directory.

``write_review_fixture(data_dir)`` returns the proposal file's name.  The proposals:

- ``record-hku-pingshan-biomed-institute``: a research institute placed by the gazetteer (坪山区);
  it lacks the English name and the descriptions the build requires (an editor writes them);
- ``record-cuhk-qianhai-clinic``: a clinic "to position" (no location), in mainland Shenzhen;
- ``record-hku-pingshan-virus-lab``: one to reject;
- ``link-sztu-hku-pingshan-biomed-institute``: from an existing record to the proposed institute;
- ``mention-sztu-1``: another source for the existing record ``sztu``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml

from tests.conftest import DATA_DIR

NAME = "test-review-2026"
ARTICLE = (
    "測試稿（審閱頁面測試用，非真實報道）\n\n"
    "香港大學與深圳技術大學簽署合作協議，雙方將在坪山共建香港大學坪山生物醫藥研究院，計劃於2026年啟用。\n"
    "香港中文大學將與前海合作設立港中大前海聯合診所。\n"
    "港大坪山病毒實驗室亦將落戶坪山。\n"
)
CITATION = {
    "title": "港大與深技大共建研究院（測試稿）",
    "publisher": "測試報 (test fixture)",
    "date": "2026-11-30",
    "file": f"articles/{NAME}.txt",
}
INSTITUTE = "hku-pingshan-biomed-institute"
CLINIC = "cuhk-qianhai-clinic"
VIRUS_LAB = "hku-pingshan-virus-lab"
LINK = "sztu-hku-pingshan-biomed-institute"
# What an editor writes before the institute can be accepted (the build requires them).
INSTITUTE_EDITS = {
    "name_en": "HKU Pingshan Biomedical Research Institute",
    "description_zh_hant": "香港大學與深圳技術大學在坪山共建的研究院（測試稿）。",
    "description_en": "A research institute HKU and SZTU are to build in Pingshan (test article).",
}
CLINIC_EDITS = {
    "name_en": "CUHK Qianhai Joint Clinic",
    "description_zh_hant": "香港中文大學在前海設立的聯合診所（測試稿）。",
    "description_en": "A joint clinic CUHK is to set up in Qianhai (test article).",
}
LINK_EDITS = {
    "description_zh_hant": "深圳技術大學與香港大學共建坪山的研究院（測試稿）。",
    "description_en": "SZTU and HKU are to build the Pingshan institute together (test article).",
}


def _span(sentence: str) -> dict:
    start = ARTICLE.index(sentence)
    return {"start": start, "end": start + len(sentence)}


def proposals_document() -> dict:
    first = "香港大學與深圳技術大學簽署合作協議，雙方將在坪山共建香港大學坪山生物醫藥研究院，計劃於2026年啟用。"
    second = "香港中文大學將與前海合作設立港中大前海聯合診所。"
    third = "港大坪山病毒實驗室亦將落戶坪山。"
    agreement = "香港大學與深圳技術大學簽署合作協議"
    source = lambda quote: [{"citation": NAME, "quote": quote}]  # noqa: E731
    return {
        "article": {
            "citation": NAME,
            "file": CITATION["file"],
            "sha256": hashlib.sha256(ARTICLE.encode("utf-8")).hexdigest(),
        },
        "proposals": [
            {
                "proposal": {
                    "id": f"record-{INSTITUTE}",
                    "kind": "record",
                    "layer": "universities",
                    "check": ["english_name", "description", "approximate_position"],
                    "evidence": "cue 共建 / ending 研究院",
                    "quote": _span("香港大學坪山生物醫藥研究院"),
                },
                "record": {
                    "id": INSTITUTE,
                    "category": "research_institute",
                    "name_zh_hant": "香港大學坪山生物醫藥研究院",
                    "name_zh_hans": "香港大学坪山生物医药研究院",
                    "status": "planned",
                    "year": 2026,
                    "location": {"place": "坪山区", "precision": "district"},
                    "sources": source(first),
                },
            },
            {
                "proposal": {
                    "id": f"record-{CLINIC}",
                    "kind": "record",
                    "layer": "hospitals",
                    "check": ["english_name", "description", "position"],
                    "evidence": "cue 設立 / ending 診所",
                    "quote": _span("港中大前海聯合診所"),
                },
                "record": {
                    "id": CLINIC,
                    "category": "clinic_centre",
                    "name_zh_hant": "港中大前海聯合診所",
                    "name_zh_hans": "港中大前海联合诊所",
                    "status": "planned",
                    "sources": source(second),
                },
            },
            {
                "proposal": {
                    "id": f"record-{VIRUS_LAB}",
                    "kind": "record",
                    "layer": "universities",
                    "check": ["english_name", "description", "category"],
                    "evidence": "cue 落戶 / ending 實驗室",
                    "quote": _span("港大坪山病毒實驗室"),
                },
                "record": {
                    "id": VIRUS_LAB,
                    "category": "research_institute",
                    "name_zh_hant": "港大坪山病毒實驗室",
                    "name_zh_hans": "港大坪山病毒实验室",
                    "status": "planned",
                    "location": {"place": "坪山区", "precision": "district"},
                    "sources": source(third),
                },
            },
            {
                "proposal": {
                    "id": f"link-{LINK}",
                    "kind": "link",
                    "check": ["link_type", "direction"],
                    "evidence": "cue 共建",
                    "quote": _span(first),
                },
                "link": {
                    "id": LINK,
                    "from": "sztu",
                    "to": INSTITUTE,
                    "link_type": "research",
                    "status": "planned",
                    "year": 2026,
                    "directed": False,
                    "sources": source(first),
                },
            },
            {
                "proposal": {
                    "id": "mention-sztu-1",
                    "kind": "mention",
                    "target": "sztu",
                    "check": [],
                    "evidence": "name 深圳技術大學",
                    "quote": _span(agreement),
                },
                "source": {"citation": NAME, "quote": agreement},
            },
        ],
    }


def write_review_fixture(data_dir: Path) -> str:
    """Add the test article, its citation and its proposal file to ``data_dir`` (a copy, never data/)."""
    sources = Path(data_dir) / "sources"
    assert sources.resolve() != (DATA_DIR / "sources").resolve(), "the review fixture writes to a copy only"
    (sources / "articles" / f"{NAME}.txt").write_text(ARTICLE, encoding="utf-8")
    citations = sources / "citations.yaml"
    entry = yaml.safe_dump({NAME: CITATION}, allow_unicode=True, sort_keys=False)
    citations.write_text(citations.read_text(encoding="utf-8") + entry, encoding="utf-8")
    proposed = sources / "proposed"
    proposed.mkdir(exist_ok=True)
    header = f'# Proposals from "{CITATION["title"]}" ({CITATION["publisher"]}, {CITATION["date"]}).\n'
    body = yaml.safe_dump(proposals_document(), allow_unicode=True, sort_keys=False, width=4096)
    (proposed / f"{NAME}.yaml").write_text(header + body, encoding="utf-8")
    return NAME


def copy_data(target: Path) -> Path:
    """A copy of the shipped data directory with the review fixture added: its path."""
    shutil.copytree(DATA_DIR, target)
    write_review_fixture(target)
    return target
