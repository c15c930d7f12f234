"""The local web page, in-process: routes, the JSON API's equality with the CLI, escaping, errors.

Requests go straight to :meth:`WebApp.handle` (no sockets) except in the last tests, which start the
real threading server on a free loopback port to check headers, concurrency and HEAD.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from codelookup.cli import app as cli_app
from codelookup.web.app import CSP, WebApp
from codelookup.web.server import is_loopback, make_server

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "';alert(1);//", "{{7*7}}[bold]x[/bold]")


@pytest.fixture(scope="module")
def web(lib: Any) -> WebApp:
    return WebApp(lib)


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(cli_app, [*args, "--json"])
    return json.loads(result.stdout)


def test_api_search_is_exactly_the_cli_json(web: WebApp) -> None:
    resp = web.handle("GET", "/api/search?q=heart+attack&limit=5")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.json() == cli_json("search", "heart attack", "--limit", "5")


def test_api_search_filters_like_the_cli(web: WebApp) -> None:
    resp = web.handle("GET", "/api/search?q=knee+replacement&system=CPT&billable=1&limit=3")
    assert resp.json() == cli_json("search", "knee replacement", "--system", "CPT", "--billable", "--limit", "3")
    assert {r["system"] for r in resp.json()["results"]} == {"CPT"}


def test_api_show_is_exactly_the_cli_json(web: WebApp) -> None:
    resp = web.handle("GET", "/api/show/62264")
    assert resp.status == 200
    assert resp.json() == cli_json("show", "62264")
    sections = web.handle("GET", "/api/show/E11.621?section=excludes1").json()
    assert sections == cli_json("show", "E11.621", "--section", "excludes1")


def test_api_no_match_is_404_with_the_cli_document(web: WebApp) -> None:
    resp = web.handle("GET", "/api/search?q=zzqqxxvv")
    assert resp.status == 404
    doc = resp.json()
    assert doc["results"] == [] and "error" in doc
    missing = web.handle("GET", "/api/show/NOPE99")
    assert missing.status == 404
    assert missing.json()["not_found"][0]["query"] == "NOPE99"


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/api/search?q=", 400),
        ("/api/search?q=x&limit=abc", 400),
        ("/api/search?q=x&limit=0", 400),
        ("/api/search?q=x&system=NOPE", 400),
        ("/api/show/E11.9?section=zzz", 400),
        ("/search?q=" + "a" * 1001, 400),
        ("/static/../../etc/passwd", 404),
        ("/static/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/static/app.py", 404),
        ("/nope", 404),
        ("/code/", 404),
    ],
)
def test_bad_requests_get_a_clear_answer_never_a_traceback(web: WebApp, target: str, status: int) -> None:
    resp = web.handle("GET", target)
    assert resp.status == status
    text = resp.text()
    assert "Traceback" not in text
    if target.startswith("/api/"):
        assert resp.json()["error"]
    else:
        assert "<h1>" in text


def test_writes_are_refused(web: WebApp) -> None:
    resp = web.handle("POST", "/api/search?q=x")
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET, HEAD"


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _assert_inert(html: str, payload: str) -> None:
    if any(ch in payload for ch in "<>\"'&"):
        assert payload not in html
    parser = _Tags()
    parser.feed(html)
    tags = parser.tags
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed")]
    # Only our own external script; no inline event handlers, no inline styles.
    assert [a for t, a in tags if t == "script"] == [[("src", "/static/app.js"), ("defer", None)]]
    assert not [(t, k) for t, attrs in tags for k, _ in attrs if k.startswith("on") or k == "style"]


@pytest.mark.parametrize("payload", XSS)
def test_user_text_is_escaped_everywhere(web: WebApp, payload: str) -> None:
    for target in (
        "/search?q=" + quote(payload),
        "/code/" + quote(payload, safe=""),
        "/browse/" + quote(payload, safe=""),
        "/search?q=x&system=" + quote(payload),
    ):
        resp = web.handle("GET", target)
        assert resp.status in (200, 400, 404)
        _assert_inert(resp.text(), payload)
        assert resp.headers["Content-Security-Policy"] == CSP

def test_markup_in_a_query_is_shown_as_typed(web: WebApp) -> None:
    payload = "{{7*7}}[bold]x[/bold]"
    assert payload in web.handle("GET", "/search?q=" + quote(payload)).text()


def test_csp_forbids_inline_script_and_foreign_origins() -> None:
    assert "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP
    assert "default-src 'none'" in CSP and "frame-ancestors 'none'" in CSP


def test_code_page_has_every_model_section_in_order(web: WebApp) -> None:
    from codelookup.sections import PAGE_SLUGS

    html = web.handle("GET", "/code/62264").text()
    ids = re.findall(r'<section class="card" id="([a-z0-9-]+)"', html)
    expected = [s.replace("_", "-") for s in (*PAGE_SLUGS, "similar_codes")]
    assert ids[: len(expected)] == expected
    assert '<span id="risks" class="alias">' in html  # /code/62264#risks
    assert "Informational, not medical or coding advice." in html
    assert 'aria-label="Sections"' in html and 'aria-label="Hierarchy"' in html


def test_section_chips_filter_like_the_cli(web: WebApp) -> None:
    html = web.handle("GET", "/code/62264?section=risks").text()
    ids = re.findall(r'<section class="card" id="([a-z0-9-]+)"', html)
    assert ids == ["risks-and-complications"]
    assert 'aria-current="true">Risks and Complications' in html


def test_icd10cm_notes_and_pcs_axes_render(web: WebApp) -> None:
    cm = web.handle("GET", "/code/E11.621").text()
    assert 'id="excludes1"' in cm and 'href="/code/E11.62?system=ICD-10-CM"' in cm
    pcs = web.handle("GET", "/code/0SRC0J9").text()
    assert '<table class="axes">' in pcs and "Body Part" in pcs


def test_unknown_code_is_a_helpful_404(web: WebApp) -> None:
    resp = web.handle("GET", "/code/E11.99999")
    assert resp.status == 404
    assert "No page for E11.99999" in resp.text()
    assert "/search?q=E11.99999" in resp.text()


def test_search_page_shows_results_and_totals(web: WebApp) -> None:
    html = web.handle("GET", "/search?q=epidural").text()
    assert 'id="results"' in html and 'class="hit"' in html
    assert 'value="epidural"' in html
    assert web.handle("GET", "/").status == 200
    assert web.handle("GET", "/browse").status == 200
    assert web.handle("GET", "/browse/E11").status == 200
    assert web.handle("GET", "/systems").status == 200
    assert web.handle("GET", "/static/app.js").headers["Content-Type"].startswith("text/javascript")


def test_static_script_never_uses_inner_html() -> None:
    from importlib import resources

    js = resources.files("codelookup.web").joinpath("static", "app.js").read_text()
    assert "innerHTML" not in js and "eval(" not in js and "http" not in js.replace("https://", "")


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")


def _get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_real_server_answers_concurrent_requests(live_server: str) -> None:
    live = live_server
    urls = [f"{live}/api/search?q=fracture+{i}" for i in range(10)] + [f"{live}/code/62264"] * 10
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(_get, urls))
    assert all(status == 200 for status, _, _ in answers)
    _, headers, body = answers[-1]
    assert headers["Content-Security-Policy"] == CSP
    assert "Server-Timing" in headers
    head_status, head_headers, head_body = _get(f"{live}/code/62264", "HEAD")
    assert head_status == 200 and head_body == b"" and int(head_headers["Content-Length"]) == len(body)


def test_real_server_port_in_use_is_one_clear_error(live_server: str) -> None:
    live = live_server
    from codelookup.web.server import ServeError

    port = int(live.rsplit(":", 1)[1])
    with pytest.raises(ServeError) as info:
        make_server("127.0.0.1", port, quiet=True)
    assert info.value.exit_code == 74 and "cannot listen" in str(info.value)


def test_crosswalk_page_and_api(web: WebApp) -> None:
    api = web.handle("GET", "/api/crosswalk/250.00")
    assert api.status == 200
    assert api.json() == cli_json("crosswalk", "250.00")
    html = web.handle("GET", "/crosswalk/250.00").text()
    assert 'href="/code/E11.9?system=ICD-10-CM"' in html and "approximate" in html
    assert web.handle("GET", "/crosswalk/250.00?gem=sideways").status == 400
    assert 'href="/crosswalk/E11.9"' in web.handle("GET", "/code/E11.9").text()


@pytest.mark.parametrize(
    ("book", "term", "code"),
    [("index", "pheochromocytoma", "D35.00"), ("neoplasm", "breast", "C79.81"), ("drug", "acetaminophen", "T39.1X1A")],
)
def test_the_coders_indexes_as_pages_and_api(web: WebApp, book: str, term: str, code: str) -> None:
    api = web.handle("GET", f"/api/{book}?q={quote(term)}")
    assert api.status == 200
    assert api.json() == cli_json(book, term)
    html = web.handle("GET", f"/{book}?q={quote(term)}").text()
    assert f'href="/code/{code}"' in html
    assert web.handle("GET", f"/{book}").status == 200
    assert web.handle("GET", f"/api/{book}").status == 400


def test_pcs_index_page(web: WebApp) -> None:
    assert web.handle("GET", "/index?q=abdominohysterectomy&system=pcs").status == 200
    assert web.handle("GET", "/index?q=x&system=hcpcs").status == 400
