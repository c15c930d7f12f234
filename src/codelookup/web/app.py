"""Routing for the local web page: a request (path and query string) in, a :class:`Response` out.

Nothing here knows about sockets, so tests call :meth:`WebApp.handle` directly. Every answer comes
from the CLI's command functions run with ``--json`` into a string buffer (:func:`run_json`): the
JSON API returns exactly what ``codelookup search --json`` prints, and the HTML pages are drawn
from the same documents.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..api import Library
from ..commands import SearchOptions, ShowOptions, Streams, run_browse, run_search, run_show, run_systems
from ..errors import CodelookupError, NotFoundError
from ..formats import OutputFormat
from . import render

#: Static files, by URL name: a fixed list, so no request path ever reaches the file system.
STATIC: dict[str, str] = {
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
}

#: No inline scripts or styles, nothing from other origins, no framing, no form posts elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

MAX_QUERY = 1_000
MAX_LIMIT = 10_000


class Response:
    """An HTTP answer: status, content type and body bytes (headers common to all are added here)."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "max-age=300" if content_type.startswith(("text/css", "text/javascript")) else "no-store",
            **(headers or {}),
        }

    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class BadRequest(Exception):
    """A parameter the page cannot use (answered with 400, never a traceback)."""


def run_json(command: Callable[[Streams], int]) -> tuple[int, dict[str, Any], str]:
    """Run a CLI command function with JSON output into memory: (exit code, document, stderr).

    A :class:`CodelookupError` becomes its exit code with whatever JSON the command had already
    written (``search`` writes a valid document with ``error`` before it raises).
    """
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(out=out, err=err, inp=io.StringIO(""))
    try:
        rc = command(streams)
    except CodelookupError as exc:
        rc = exc.exit_code
        if not out.getvalue().strip():
            doc: dict[str, Any] = {"error": exc.message}
            if exc.hint:
                doc["hint"] = exc.hint
            if isinstance(exc, NotFoundError):
                doc["suggestions"] = list(exc.suggestions)
            return rc, doc, err.getvalue()
    text = out.getvalue().strip()
    return rc, (json.loads(text) if text else {}), err.getvalue()


def _status(rc: int) -> int:
    return {0: 200, 1: 404, 2: 400}.get(rc, 500)


def _one(params: dict[str, list[str]], name: str, default: str = "") -> str:
    values = params.get(name) or [default]
    value = values[-1]
    if len(value) > MAX_QUERY:
        raise BadRequest(f"parameter {name!r} is too long ({len(value):,} characters; at most {MAX_QUERY:,})")
    return value


class WebApp:
    """The web page's routes over one :class:`Library` (one per process, used from one thread)."""

    def __init__(self, lib: Library | None = None) -> None:
        self.lib = lib if lib is not None else Library(progress=False)

    # -- the catalogue through the CLI's own commands --------------------------------------
    def search_doc(
        self, query: str, systems: tuple[str, ...], billable: bool, limit: int
    ) -> tuple[int, dict[str, Any]]:
        opts = SearchOptions(query, systems=systems, billable=billable, limit=limit, fmt=OutputFormat.JSON)
        rc, doc, _ = run_json(lambda s: run_search(opts, self.lib, s))
        return rc, doc

    def show_doc(self, code: str, systems: tuple[str, ...], sections: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        opts = ShowOptions((code,), systems=systems, sections=sections, fmt=OutputFormat.JSON)
        rc, doc, _ = run_json(lambda s: run_show(opts, self.lib, s))
        return rc, doc

    def browse_doc(self, target: str) -> tuple[int, dict[str, Any]]:
        if not target:
            rc, doc, _ = run_json(lambda s: run_systems(OutputFormat.JSON, self.lib, s))
            return rc, doc
        rc, doc, _ = run_json(lambda s: run_browse(target, False, OutputFormat.JSON, self.lib, s))
        return rc, doc

    def crosswalk_doc(self, code: str, gems: str) -> tuple[int, dict[str, Any]]:
        from ..crosswalk import run_crosswalk

        rc, doc, _ = run_json(lambda s: run_crosswalk((code,), OutputFormat.JSON, self.lib, s, gems))
        return rc, doc

    def book_doc(self, book: str, term: str, system: str) -> tuple[int, dict[str, Any]]:
        """The coders' indexes through their CLI commands: index (cm or pcs), neoplasm, drug."""
        from ..index_commands import run_index, run_table

        if book == "index":
            rc, doc, _ = run_json(lambda s: run_index(term, system, OutputFormat.JSON, self.lib, s))
        else:
            rc, doc, _ = run_json(lambda s: run_table(book, term, OutputFormat.JSON, self.lib, s))
        return rc, doc

    def systems_doc(self) -> tuple[int, dict[str, Any]]:
        rc, doc, _ = run_json(lambda s: run_systems(OutputFormat.JSON, self.lib, s))
        return rc, doc

    # -- routing ---------------------------------------------------------------------------
    def handle(self, method: str, target: str) -> Response:
        """Answer one request; every failure is a page or a JSON error, never a traceback."""
        try:
            parts = urlsplit(target)
            path = unquote(parts.path, errors="replace")
            params = parse_qs(parts.query, keep_blank_values=True, max_num_fields=50)
        except ValueError:
            return self._error(400, "This address cannot be read.", api=target.startswith("/api/"))
        api = path.startswith("/api/")
        if method not in ("GET", "HEAD"):
            resp = self._error(405, "This page is read-only: only GET requests are answered.", api=api)
            resp.headers["Allow"] = "GET, HEAD"
            return resp
        try:
            return self._route(path, params, api)
        except BadRequest as exc:
            return self._error(400, str(exc), api=api)
        except CodelookupError as exc:
            return self._error(_status(exc.exit_code), str(exc), api=api)

    def _route(self, path: str, params: dict[str, list[str]], api: bool) -> Response:
        if path in ("/", "/search"):
            return self._search(params, api=False)
        if path == "/api/search":
            return self._search(params, api=True)
        for prefix, is_api in (("/code/", False), ("/api/show/", True)):
            if path.startswith(prefix):
                return self._show(path[len(prefix):], params, api=is_api)
        if path in ("/browse", "/browse/") or path.startswith("/browse/"):
            return self._browse(path[len("/browse/"):] if path.startswith("/browse/") else "", api=False)
        if path in ("/api/browse", "/api/browse/") or path.startswith("/api/browse/"):
            return self._browse(path[len("/api/browse/"):] if path.startswith("/api/browse/") else "", api=True)
        for prefix, is_api in (("/crosswalk/", False), ("/api/crosswalk/", True)):
            if path.startswith(prefix):
                return self._crosswalk(path[len(prefix):], params, api=is_api)
        for book in ("index", "neoplasm", "drug"):
            if path in (f"/{book}", f"/api/{book}"):
                return self._book(book, params, api=path.startswith("/api/"))
        if path == "/systems":
            return self._systems(api=False)
        if path == "/api/systems":
            return self._systems(api=True)
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/favicon.ico":
            return Response(204, "image/x-icon", b"")
        return self._error(404, f"There is no page at {path}.", api=api)

    def _search(self, params: dict[str, list[str]], api: bool) -> Response:
        query = _one(params, "q").strip()
        systems = tuple(v for v in params.get("system", []) if v.strip())
        billable = _one(params, "billable") in ("1", "true", "on", "yes")
        limit_text = _one(params, "limit", "25" if not api else "10")
        if limit_text == "all":
            limit = MAX_LIMIT
        else:
            try:
                limit = int(limit_text)
            except ValueError:
                raise BadRequest(f"limit must be a whole number or 'all', not {limit_text!r}") from None
            if not 1 <= limit <= MAX_LIMIT:
                raise BadRequest(f"limit must be between 1 and {MAX_LIMIT:,}, not {limit}")
        if not query:
            if api:
                raise BadRequest("empty query: give q=words or a code, e.g. /api/search?q=epidural")
            return self._html(200, render.search_page("", None, systems, billable, self.system_names()))
        rc, doc = self.search_doc(query, systems, billable, limit)
        if api:
            return self._json(_status(rc), doc)
        return self._html(_status(rc), render.search_page(query, doc, systems, billable, self.system_names()))

    def _show(self, code: str, params: dict[str, list[str]], api: bool) -> Response:
        code = code.strip()
        if not code or "/" in code:
            return self._error(404, "Give a code after /code/, for example /code/62264.", api=api)
        if len(code) > 40:
            raise BadRequest("a code is at most a few characters long")
        systems = tuple(v for v in params.get("system", []) if v.strip())
        sections = tuple(v for v in params.get("section", []) if v.strip())
        if api:
            rc, doc = self.show_doc(code, systems, sections)
            return self._json(_status(rc), doc)
        # The page needs every section's chip even when one is chosen: fetch the whole record,
        # then keep the chosen sections with the CLI's own resolver (same names, same errors).
        rc, doc = self.show_doc(code, systems, ())
        if rc != 0:
            return self._html(_status(rc), render.not_found_page(code, doc))
        chips = self.section_chips(doc)
        chosen: tuple[str, ...] = ()
        if sections:
            from ..detail import resolve_sections

            chosen = tuple(resolve_sections(list(sections)) or ())
            for rec in doc.get("records", []):
                rec["sections"] = {k: v for k, v in rec.get("sections", {}).items() if k in chosen}
        return self._html(200, render.code_page(doc, chosen, chips))

    def _browse(self, target: str, api: bool) -> Response:
        rc, doc = self.browse_doc(target.strip())
        if api:
            return self._json(_status(rc), doc)
        if rc != 0:
            message = str(doc.get("error", "nothing to browse"))
            return self._html(_status(rc), render.message_page("Not found", message, doc))
        return self._html(200, render.browse_page(target.strip(), doc))

    def _crosswalk(self, code: str, params: dict[str, list[str]], api: bool) -> Response:
        code = code.strip()
        if not code or "/" in code or len(code) > 40:
            return self._error(404, "Give a code after /crosswalk/, for example /crosswalk/250.00.", api=api)
        gems = _one(params, "gem", "both").lower()
        if gems not in ("both", "forward", "backward"):
            raise BadRequest("gem must be both, forward or backward")
        rc, doc = self.crosswalk_doc(code, gems)
        if api:
            return self._json(_status(rc), doc)
        return self._html(_status(rc), render.crosswalk_page(code, doc))

    def _book(self, book: str, params: dict[str, list[str]], api: bool) -> Response:
        term = _one(params, "q").strip()
        system = _one(params, "system", "cm").strip().lower() or "cm"
        if book == "index" and system not in ("cm", "pcs", "icd-10-cm", "icd-10-pcs"):
            raise BadRequest("system must be cm or pcs for the index")
        if not term:
            if api:
                raise BadRequest(f"give q=, e.g. /api/{book}?q=" + {"index": "fracture", "neoplasm": "breast",
                                                                        "drug": "acetaminophen"}[book])  # fmt: skip
            return self._html(200, render.book_page(book, "", None, system))
        rc, doc = self.book_doc(book, term, system)
        if api:
            return self._json(_status(rc), doc)
        return self._html(_status(rc), render.book_page(book, term, doc, system))

    def _systems(self, api: bool) -> Response:
        rc, doc = self.systems_doc()
        if api:
            return self._json(_status(rc), doc)
        return self._html(_status(rc), render.systems_page(doc))

    def _static(self, name: str) -> Response:
        kind = STATIC.get(name)
        if kind is None:
            return self._error(404, "No such file.", api=False)
        data = resources.files("codelookup.web").joinpath("static", name).read_bytes()
        return Response(200, kind, data)

    # -- helpers -----------------------------------------------------------------------------
    def system_names(self) -> list[str]:
        return list(self.lib.system_info())

    def section_chips(self, doc: dict[str, Any]) -> list[tuple[str, str]]:
        """(slug, heading) of every section present on the shown records, in page order."""
        from ..sections import SECTIONS

        present: set[str] = set()
        for rec in doc.get("records", []):
            present.update(rec.get("sections", {}))
        return [(s.slug, s.heading) for s in SECTIONS if s.slug in present]

    def _html(self, status: int, body: str) -> Response:
        return Response(status, "text/html; charset=utf-8", body.encode("utf-8"))

    def _json(self, status: int, doc: dict[str, Any]) -> Response:
        return Response(status, "application/json", (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode())

    def _error(self, status: int, message: str, *, api: bool) -> Response:
        if api:
            return self._json(status, {"error": message, "status": status})
        title = {400: "Bad request", 404: "Not found", 405: "Not allowed"}.get(status, "Error")
        return self._html(status, render.message_page(title, message, None))


def code_url(code: str) -> str:
    return "/code/" + quote(code, safe="")


__all__ = ["CSP", "BadRequest", "Response", "WebApp", "code_url", "run_json"]
