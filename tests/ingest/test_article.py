"""Reading and storing an article: encodings, HTML, and every refusal named."""

from __future__ import annotations

import pytest

from geo.ingest.article import ArticleError, append_citation, citation_id, html_to_text, read_article

TEXT = "香港中文大學深圳研究院與澳門城市大學商學院聯合舉辦論壇。\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("big5", b"", "big5"),
    ],
)
def test_each_encoding_is_read_to_the_same_text(tmp_path, encoding, prefix, expected):
    path = tmp_path / "a.txt"
    path.write_bytes(prefix + TEXT.encode(encoding))
    article = read_article(path)
    assert article.text == TEXT
    assert article.encoding == expected


def test_html_becomes_text_without_scripts_and_markup(tmp_path):
    path = tmp_path / "a.html"
    path.write_text(
        "<html><head><title>t</title><script>var x = '<p>';</script></head>"
        "<body><p>橫琴新區&amp;澳門</p><div>第二段</div></body></html>",
        encoding="utf-8",
    )
    article = read_article(path)
    assert article.was_html
    assert article.text == "橫琴新區&澳門\n\n第二段\n"  # one blank line between blocks
    assert "<" not in html_to_text("<p>a</p><br/>b")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\t\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"abc \xff\xfe\xff text \xff", "not text in any encoding"),
        (b"<html><body><script>x</script></body></html>", "holds no text"),
    ],
)
def test_bad_articles_are_refused_with_the_file_named(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_a_missing_file_and_a_directory_are_refused(tmp_path):
    with pytest.raises(ArticleError, match="no such file"):
        read_article(tmp_path / "none.txt")
    with pytest.raises(ArticleError, match="directory"):
        read_article(tmp_path)


def test_the_citation_id_is_stable_and_valid():
    first = citation_id("t", "Now News", "2025-08-31", TEXT)
    assert first == citation_id("t", "Now News", "2025-08-31", TEXT)
    assert first.startswith("now-news-2025-08-31-")
    assert citation_id("t", "大公報", "2021", TEXT).startswith("article-2021-")


def test_a_citation_is_appended_and_the_existing_text_kept():
    before = "# comment kept\nold:\n  title: x\n"
    after = append_citation(
        before, "new-id", {"title": "標題", "publisher": "P", "date": "2021", "file": "articles/new-id.txt"}
    )
    assert after.startswith(before)
    assert "new-id:\n  title: 標題\n" in after
