"""What crawler.extract gives back for small hand-written pages."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.extract import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    Extracted,
    ExtractionError,
    Link,
    decode_html,
    extract,
)
from tests.contract import EXTRACT_KEYS

ROOT = Path(__file__).resolve().parents[2]
URL = "https://sport.example.com/football/2024/05/city-beat-united-in-derby-1234.html"

PARAGRAPHS = """
<p>City beat United 3-1 in a derby that was settled by two goals in the last ten minutes at the
Riverside Stadium on Saturday afternoon, in front of a crowd of forty thousand.</p>
<p>The home side had trailed at half-time after a header from the visiting captain, but the
substitutes changed the game, as the <a href="/football/teams/city">City manager</a> had hoped
before kick-off, and <a href="https://stats.example.org/match/99">the numbers</a> showed it.</p>
<p>United now sit four points behind the leaders with six games of the season left to play,
and their manager said afterwards that the title race was far from over for his players.</p>
"""


def page(head: str = "", body: str = PARAGRAPHS, around: str = "") -> str:
    return f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">{head}</head>
<body><header class="site-header"><nav><a href="/">Home</a> <a href="/football/">Football</a>
<a href="/football/2024/05/nav-link-to-another-story-5555.html">Nav story link here</a></nav>
</header><main><article><h1>City beat United in the derby</h1>{body}</article>{around}</main>
<footer><a href="/about.html">About us</a>
<a href="/football/2024/05/footer-link-to-another-story-6666.html">Footer story link</a></footer>
</body></html>"""


ARTICLE_JSONLD = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Example Sport"},
  {"@type": "NewsArticle", "headline": "City beat United in the derby",
   "datePublished": "2024-05-04T17:30:00+01:00", "dateModified": "2024-05-05T09:00:00+01:00",
   "author": [{"@type": "Person", "name": "Jane Doe", "url": "https://sport.example.com/jane"},
              {"@type": "Person", "name": "John Roe"}],
   "publisher": {"@type": "Organization", "name": "Example Sport"}}
]}</script>"""


def test_jsonld_gives_authors_dates_and_the_modified_date_apart() -> None:
    ex = extract(page(ARTICLE_JSONLD).encode(), URL)
    assert ex.title == "City beat United in the derby"
    assert ex.authors == ["Jane Doe", "John Roe"]
    assert ex.published == "2024-05-04T17:30:00+01:00"
    assert ex.modified == "2024-05-05T09:00:00+01:00"
    assert ex.language == "en"
    assert ex.is_article
    assert ex.page_type == "article"


def test_a_page_without_modified_date_has_none() -> None:
    head = '<meta property="article:published_time" content="2024-05-04">'
    ex = extract(page(head).encode(), URL)
    assert ex.published == "2024-05-04"
    assert ex.modified is None


def test_byline_is_split_and_cleaned() -> None:
    head = '<meta name="author" content="By Jane Doe and John Roe, Staff Writers">'
    assert extract(page(head).encode(), URL).authors == ["Jane Doe", "John Roe"]


def test_organisation_is_not_an_author_when_a_person_is_known() -> None:
    head = (
        '<meta property="og:site_name" content="Example Sport">'
        '<meta name="author" content="Example Sport">'
    )
    body = '<p class="byline">By <a rel="author" href="/staff/jane-doe">Jane Doe</a></p>'
    ex = extract(page(head, body + PARAGRAPHS).encode(), URL)
    assert ex.authors == ["Jane Doe"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("City beat United in the derby | Example Sport", "City beat United in the derby"),
        ("Example Sport - City beat United in the derby", "City beat United in the derby"),
        ("City beat United in the derby – Example Sport", "City beat United in the derby"),
        ("Derby day: City beat United - Example Sport", "Derby day: City beat United"),
        ("City 3-1 United: the derby - Example Sport", "City 3-1 United: the derby"),
    ],
)
def test_site_name_is_stripped_from_the_title(title: str, expected: str) -> None:
    head = f'<title>{title}</title><meta property="og:site_name" content="Example Sport">'
    html = page(head, body=PARAGRAPHS).replace("<h1>City beat United in the derby</h1>", "")
    assert extract(html.encode(), URL).title == expected


RELATED = """
<aside class="related-stories"><h2>Related stories</h2><ul>
<li><a href="/football/2024/05/united-manager-under-pressure-1235.html">United manager under
  pressure</a></li>
<li><a href="/football/2024/05/city-striker-signs-new-deal-1236.html"><img
  src="/i.jpg" alt="City striker signs new deal"></a></li>
</ul></aside>"""


def test_related_block_is_found_and_its_teasers_stay_out_of_the_text() -> None:
    ex = extract(page(around=RELATED).encode(), URL)
    assert ex.related_links == [
        Link(
            "https://sport.example.com/football/2024/05/united-manager-under-pressure-1235.html",
            "United manager under pressure",
        ),
        Link(
            "https://sport.example.com/football/2024/05/city-striker-signs-new-deal-1236.html",
            "City striker signs new deal",
        ),
    ]
    assert "under pressure" not in ex.text
    assert "Related stories" not in ex.text
    assert "title race was far from over" in ex.text


def test_related_heading_followed_by_a_list_is_a_block() -> None:
    around = """<div class="box"><h3>You may also like</h3><ul>
    <li><a href="/football/2024/05/five-things-we-learned-1240.html">Five things we learned</a></li>
    <li><a href="/football/2024/05/player-ratings-city-united-1241.html">Player ratings</a></li>
    </ul></div>"""
    ex = extract(page(around=around).encode(), URL)
    assert [link.text for link in ex.related_links] == ["Five things we learned", "Player ratings"]
    assert "Five things" not in ex.text


def test_in_body_links_are_absolute_with_their_text_and_nav_footer_links_are_not() -> None:
    ex = extract(page(around=RELATED).encode(), URL)
    assert Link("https://sport.example.com/football/teams/city", "City manager") in ex.links
    assert Link("https://stats.example.org/match/99", "the numbers") in ex.links
    all_urls = {link.url for link in ex.links + ex.related_links}
    assert not any("nav-link" in url or "footer-link" in url for url in all_urls)
    assert "](" not in ex.text  # plain text, no markdown links


def test_canonical_url_comes_from_link_rel_canonical_on_the_same_site() -> None:
    head = f'<link rel="canonical" href="{URL}?utm_source=x">'
    ex = extract(page(head).encode(), URL + "?ref=home#top")
    assert ex.url == URL + "?ref=home#top"
    assert ex.canonical_url == URL


def test_cp1252_page_without_declaration_is_decoded() -> None:
    html = page().replace('<meta charset="utf-8">', "").replace("City manager", "Thomas Müller")
    ex = extract(html.encode("cp1252"), URL, content_type="text/html")
    assert ex.encoding == "cp1252"
    assert "Thomas Müller" in ex.text


def test_header_saying_latin1_for_utf8_bytes_is_overruled() -> None:
    html = page().replace("Riverside Stadium", "Estádio do Morumbi in São Paulo")
    ex = extract(html.encode("utf-8"), URL, content_type="text/html; charset=iso-8859-1")
    assert ex.encoding == "utf-8"
    assert "São Paulo" in ex.text


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", None, ("<p>café</p>", "utf-8")),
        (b'<meta charset="windows-1251"><p>\xcc\xee\xf1\xea\xe2\xe0</p>', None, None),
        (b"<p>caf\xe9</p>", "text/html; charset=utf-8", ("<p>café</p>", "cp1252")),
        (b"<p>plain</p>", "text/html; charset=utf-16", ("<p>plain</p>", "utf-8")),
    ],
)
def test_decode_html(
    body: bytes, content_type: str | None, expected: tuple[str, str] | None
) -> None:
    text, encoding = decode_html(body, content_type)
    if expected is None:  # declared windows-1251, bytes agree
        assert (text, encoding) == ('<meta charset="windows-1251"><p>Москва</p>', "cp1251")
    else:
        assert (text, encoding) == expected


def test_index_page_is_not_an_article() -> None:
    cards = "".join(
        f'<article class="card"><h3><a href="/football/2024/05/story-number-{i}-1{i:03d}.html">'
        f"Story number {i} of the day</a></h3><p>A short teaser for story {i}.</p></article>"
        for i in range(12)
    )
    html = (
        '<html><head><title>Football | Example Sport</title><meta property="og:type" '
        f'content="website"></head><body><h1>Football</h1>{cards}</body></html>'
    )
    ex = extract(html.encode(), "https://sport.example.com/football/")
    assert not ex.is_article
    assert ex.page_type == "index"


def test_short_match_report_with_article_signals_is_an_article() -> None:
    body = "<p>City won 2-0 at home on Saturday with goals from Smith and Jones.</p>"
    ex = extract(page(ARTICLE_JSONLD, body=body).encode(), URL)
    assert ex.is_article


def test_as_dict_has_the_archived_keys_in_order() -> None:
    ex = extract(page(ARTICLE_JSONLD, around=RELATED).encode(), URL)
    data = ex.as_dict()
    assert list(data) == EXTRACT_KEYS
    assert data["related_links"][0] == {  # type: ignore[index]
        "url": "https://sport.example.com/football/2024/05/united-manager-under-pressure-1235.html",
        "text": "United manager under pressure",
    }


def test_result_pickles() -> None:
    ex = extract(page(ARTICLE_JSONLD).encode(), URL)
    assert pickle.loads(pickle.dumps(ex)) == ex


@pytest.mark.parametrize("body", [b"", b"   \n", ""])
def test_empty_input_is_an_empty_page(body: bytes | str) -> None:
    ex = extract(body, URL)
    assert isinstance(ex, Extracted)
    assert (ex.is_article, ex.page_type, ex.text) == (False, "empty", "")


@pytest.mark.parametrize(
    "body",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        bytes(range(256)) * 16,
        b"just some words, no markup at all",
    ],
)
def test_input_that_is_not_html_raises_a_clear_error(body: bytes) -> None:
    with pytest.raises(ExtractionError, match="not an HTML page: https://sport"):
        extract(body, URL)


def test_malformed_html_does_not_crash() -> None:
    html = "<html><body><div><p>Unclosed <b>bold <i>italic</div></td></tr><p>More" * 50
    ex = extract(html.encode(), URL)
    assert isinstance(ex, Extracted)


def test_huge_page_is_cut_not_refused() -> None:
    html = page().replace("</main>", "<p>" + "filler text " * 600_000 + "</p></main>")
    ex = extract(html.encode(), URL)
    assert "City beat United 3-1" in ex.text


def test_version_names_trafilatura() -> None:
    assert EXTRACTOR_NAME == "pressbox+trafilatura"
    assert EXTRACTOR_VERSION.split("+trafilatura-")[0].isdigit()


def test_importing_extract_does_not_import_scrapy_or_twisted() -> None:
    code = (
        "import sys, crawler.extract; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')); "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
