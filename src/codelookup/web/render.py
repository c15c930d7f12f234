# ruff: noqa: E501 - HTML template lines read better whole than split mid-tag
"""HTML for the local web page, drawn from the CLI's JSON documents.

Every catalogue and user string passes through :func:`esc` (``html.escape`` with quotes) or
:func:`url` before it reaches the page, and the page carries no inline script or style, so the
Content-Security-Policy can forbid both: a title or a query can never become markup or code.
Section values are rendered by their shape (text, bullets, steps, code lists, mappings, axes) and
anything unknown falls back to a generic, still escaped, rendering, so a new section added to the
catalogue appears on the page without a change here.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from ..sections import BY_SLUG, SECTIONS, Shape

DISCLAIMER = "Informational, not medical or coding advice."
CURRENT = ' aria-current="true"'


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else esc(value)

#: Record fields drawn in the title block; any other top-level field goes to "More about this code".
_HEAD_FIELDS = frozenset(
    {"query", "code", "system", "title", "billable", "billable_reason", "kind", "parent", "hierarchy",
     "release", "source", "also_in", "sections", "schema_version", "catalogue_release"}
)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def code_href(code: str, system: str = "") -> str:
    href = "/code/" + quote(str(code), safe="")
    return href + ("?" + urlencode({"system": system}) if system else "")


def anchor_ids(slug: str) -> tuple[str, str | None]:
    """The section's id (hyphenated slug) and a short alias (its first word) when that is unique.

    Deep links such as ``/code/62264#risks`` then land on "Risks and Complications".
    """
    first = slug.split("_")[0]
    unique = sum(1 for s in SECTIONS if s.slug.split("_")[0] == first) == 1
    full = slug.replace("_", "-")
    return full, (first if unique and first != full else None)


def _layout(title: str, body: str, query: str = "") -> str:
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)} · codelookup</title>\n"
        "<link rel=\"stylesheet\" href=\"/static/app.css\">\n"
        "<script src=\"/static/app.js\" defer></script>\n</head>\n<body>\n"
        "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
        "<header class=\"bar\"><a class=\"brand\" href=\"/\">codelookup</a>"
        "<form class=\"mini\" role=\"search\" action=\"/search\" method=\"get\">"
        "<label class=\"visually-hidden\" for=\"top-q\">Search codes</label>"
        f"<input id=\"top-q\" name=\"q\" type=\"search\" value=\"{esc(query)}\" placeholder=\"Search codes or words\">"
        "<button type=\"submit\">Search</button></form>"
        "<nav class=\"links\" aria-label=\"Site\"><a href=\"/browse\">Browse</a><a href=\"/index\">Indexes</a><a href=\"/systems\">Sources</a></nav>"
        "</header>\n"
        f"<main id=\"main\" tabindex=\"-1\">\n{body}\n</main>\n"
        f"<footer class=\"foot\"><p>{esc(DISCLAIMER)} Offline: nothing on this page is fetched from the internet.</p></footer>\n"
        "</body>\n</html>\n"
    )


# -- search -----------------------------------------------------------------------------------
def search_page(
    query: str, doc: dict[str, Any] | None, systems: tuple[str, ...], billable: bool, all_systems: list[str]
) -> str:
    boxes = "".join(
        f"<label class=\"chk\"><input type=\"checkbox\" name=\"system\" value=\"{esc(name)}\""
        f"{' checked' if name in systems else ''}> {esc(name)}</label>"
        for name in all_systems
    )
    form = (
        "<h1 class=\"lead\">Search every US medical code</h1>\n"
        "<form id=\"search-form\" class=\"search\" role=\"search\" action=\"/search\" method=\"get\">\n"
        "<label for=\"q\">Words, a condition, a procedure or a code</label>\n"
        f"<input id=\"q\" name=\"q\" type=\"search\" value=\"{esc(query)}\" autocomplete=\"off\" "
        "spellcheck=\"false\" autofocus aria-describedby=\"search-help\" aria-controls=\"results\">\n"
        "<p id=\"search-help\" class=\"help\">Typos and everyday words work (\u201cbroken wrist\u201d, \u201cdiabetis\u201d). "
        "Results update as you type; use the arrow keys to move through them.</p>\n"
        f"<fieldset class=\"filters\"><legend>Code systems</legend>{boxes}"
        f"<label class=\"chk\"><input type=\"checkbox\" name=\"billable\" value=\"1\"{' checked' if billable else ''}> "
        "billable codes only</label></fieldset>\n"
        "<button type=\"submit\">Search</button>\n</form>\n"
    )
    return _layout(query or "Search", form + results_block(query, doc), "")


def results_block(query: str, doc: dict[str, Any] | None) -> str:
    if doc is None:
        return "<p id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>\n<ol id=\"results\" class=\"results\"></ol>"
    results = doc.get("results", [])
    if not results:
        sugg = doc.get("suggestions") or []
        more = (
            " Did you mean: " + ", ".join(f"<a href=\"/search?{urlencode({'q': s})}\">{esc(s)}</a>" for s in sugg) + "?"
            if sugg else ""
        )
        return (
            f"<p id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\">Nothing found for "
            f"\u201c{esc(query)}\u201d.{more}</p>\n<ol id=\"results\" class=\"results\"></ol>"
        )
    count = doc.get("count", len(results))
    total = doc.get("total", count)
    status = f"showing {count:,} of {total:,}" if total > count else f"{count:,} result{'s' if count != 1 else ''}"
    more = ""
    if total > count:
        more = f" \u2014 <a href=\"/search?{urlencode({'q': query, 'limit': 'all'})}\">show all</a>"
    notes = "".join(f"<p class=\"note\">{esc(n)}</p>" for n in doc.get("notes", []))
    items = "\n".join(result_item(r) for r in results)
    return (
        f"<p id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\">{esc(status)}{more}</p>\n{notes}"
        f"<ol id=\"results\" class=\"results\">\n{items}\n</ol>"
    )


def result_item(r: dict[str, Any]) -> str:
    billable = "billable" if r.get("billable") else "not billable"
    return (
        f"<li><a class=\"hit\" href=\"{esc(code_href(r.get('code', ''), r.get('system', '')))}\">"
        f"<span class=\"code\">{esc(r.get('code', ''))}</span> <span class=\"title\">{esc(r.get('title', ''))}</span></a>"
        f" <span class=\"tag\">{esc(r.get('system', ''))}</span> <span class=\"tag muted\">{esc(billable)}</span>"
        f" <span class=\"tag muted\">{esc(r.get('match', ''))}</span></li>"
    )


# -- the code page ------------------------------------------------------------------------------
def code_page(doc: dict[str, Any], selected: tuple[str, ...], chips: list[tuple[str, str]]) -> str:
    records = doc.get("records", [])
    parts: list[str] = []
    if len(records) > 1:
        names = ", ".join(str(r.get("system", "")) for r in records)
        parts.append(f"<p class=\"note\">{esc(records[0].get('query', ''))} is a code in {len(records)} systems: {esc(names)}.</p>")
    for rec in records:
        parts.append(record_article(rec, selected, chips, single=len(records) == 1))
    title = f"{records[0].get('code', '')} {records[0].get('title', '')}" if records else "Code"
    return _layout(title, "\n".join(parts), "")


def record_article(rec: dict[str, Any], selected: tuple[str, ...], chips: list[tuple[str, str]], single: bool) -> str:
    code, system = str(rec.get("code", "")), str(rec.get("system", ""))
    crumbs = "".join(
        f"<li><a href=\"{esc(code_href(h.get('code', ''), h.get('system', '')))}\">{esc(h.get('code', ''))}</a> "
        f"<span>{esc(h.get('title', ''))}</span></li>"
        for h in rec.get("hierarchy", [])
    )
    crumb_nav = f"<nav class=\"crumbs\" aria-label=\"Hierarchy\"><ol>{crumbs}</ol></nav>" if crumbs else ""
    status_class = "ok" if rec.get("billable") else "warn"
    head = (
        f"{crumb_nav}<p class=\"kicker\">{esc(system)} \u00b7 {esc(rec.get('kind', 'code'))}</p>"
        f"<h1><span class=\"code\">{esc(code)}</span> {esc(rec.get('title', ''))}</h1>"
        f"<p class=\"billable {status_class}\">{esc(rec.get('billable_reason', ''))}</p>"
        f"<p class=\"meta\">Release: {esc(rec.get('release', ''))} \u00b7 Source: {esc(rec.get('source', ''))}</p>"
    )
    also = rec.get("also_in") or []
    if also:
        links = ", ".join(f"<a href=\"{esc(code_href(code, s))}\">{esc(s)}</a>" for s in also)
        head += f"<p class=\"note\">The same code string is also a code in {links}.</p>"
    chip_html = ""
    if single and chips:
        base = code_href(code, system)
        sep = "&amp;" if "?" in base else "?"
        all_link = (
            f"<a class=\"chip\" href=\"{esc(base)}\"{CURRENT if not selected else ''}>All sections</a>"
        )
        chip_html = (
            "<nav class=\"chips\" aria-label=\"Sections\">" + all_link + "".join(
                f"<a class=\"chip\" href=\"{esc(base)}{sep}{esc(urlencode({'section': slug}))}\""
                f"{CURRENT if slug in selected else ''}>{esc(heading)}</a>"
                for slug, heading in chips
            ) + "</nav>"
        )
    sections = rec.get("sections", {})
    if any(slug in sections for slug in ("icd9_equivalents", "icd10_equivalents")):
        head += f"<p class=\"meta\"><a href=\"/crosswalk/{esc(quote(code, safe=''))}\">Every GEM entry for {esc(code)}</a></p>"
    cards = "\n".join(section_card(slug, sections[slug], code) for slug in _ordered(sections))
    extra = {k: v for k, v in rec.items() if k not in _HEAD_FIELDS and v not in (None, "", [], {})}
    if extra and not selected:
        cards += "\n" + (
            "<section class=\"card\" id=\"more\" aria-labelledby=\"h-more\"><h2 id=\"h-more\">More about this code</h2>"
            + value_html(extra, "") + "</section>"
        )
    if not cards.strip():
        cards = f"<p class=\"note\">{esc(code)} has none of the chosen sections.</p>"
    return f"<article class=\"record\">{head}{chip_html}\n{cards}\n<p class=\"disclaimer\">{esc(DISCLAIMER)}</p></article>"


def _ordered(sections: dict[str, Any]) -> list[str]:
    known = [s.slug for s in SECTIONS if s.slug in sections]
    return known + [k for k in sections if k not in BY_SLUG]


def section_card(slug: str, value: Any, code: str) -> str:
    section = BY_SLUG.get(slug)
    heading = section.heading if section else slug.replace("_", " ").capitalize()
    full, alias = anchor_ids(slug)
    alias_html = f"<span id=\"{esc(alias)}\" class=\"alias\"></span>" if alias else ""
    shape = section.shape if section else None
    if shape is Shape.STEPS and isinstance(value, list):
        body = "<ol class=\"steps\">" + "".join(f"<li>{value_html(v, code)}</li>" for v in value) + "</ol>"
    elif shape is Shape.AXES and isinstance(value, list):
        body = axes_table(value)
    elif shape is Shape.NOTES and isinstance(value, list):
        body = notes_html(value, code)
    elif shape is Shape.CLAIM and isinstance(value, dict):
        from ..page import claim_lines

        body = "".join(f"<p>{esc(line)}</p>" for line in claim_lines(value, code))
    else:
        body = value_html(value, code)
    return (
        f"<section class=\"card\" id=\"{esc(full)}\" aria-labelledby=\"h-{esc(full)}\">{alias_html}"
        f"<h2 id=\"h-{esc(full)}\">{esc(heading)}</h2>{body}</section>"
    )


def notes_html(value: list[Any], code: str) -> str:
    """ICD-10-CM notes grouped by the level they come from, a lead-in's list nested under it."""
    from ..page import note_groups, note_text

    def items(notes: list[dict[str, Any]]) -> str:
        return "<ul>" + "".join(
            f"<li>{esc(note_text(n))}{items(list(n['items'])) if n.get('items') else ''}</li>" for n in notes
        ) + "</ul>"

    return "".join(
        (f"<p class=\"muted\">{esc(label)}</p>" if label else "") + items(notes) for label, notes in note_groups(value, code)
    )


def axes_table(rows: list[Any]) -> str:
    head = "<tr><th scope=\"col\">Position</th><th scope=\"col\">Axis</th><th scope=\"col\">Value</th><th scope=\"col\">Meaning</th></tr>"
    body = "".join(
        f"<tr><td>{esc(r.get('position', ''))}</td><td>{esc(r.get('axis', ''))}</td><td class=\"code\">{esc(r.get('value', ''))}</td>"
        f"<td>{esc(r.get('label', ''))}{_definition(r)}</td></tr>"
        if isinstance(r, dict) else f"<tr><td colspan=\"4\">{esc(r)}</td></tr>"
        for r in rows
    )
    return f"<div class=\"scroll\"><table class=\"axes\"><thead>{head}</thead><tbody>{body}</tbody></table></div>"


def _definition(r: dict[str, Any]) -> str:
    text = r.get("definition")
    return f"<br><small>{esc(text)}</small>" if text else ""


def value_html(value: Any, code: str) -> str:
    """Any JSON section value as escaped HTML, by its shape."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "<p>yes</p>" if value else "<p>no</p>"
    if isinstance(value, (str, int, float)):
        return f"<p>{esc(value)}</p>"
    if isinstance(value, list):
        if not value:
            return "<p class=\"muted\">none</p>"
        if all(isinstance(v, dict) and "code" in v for v in value):
            return "<ul class=\"codes\">" + "".join(code_item(v) for v in value) + "</ul>"
        return "<ul>" + "".join(f"<li>{_inline(v, code)}</li>" for v in value) + "</ul>"
    if isinstance(value, dict):
        if "code" in value and "title" in value:
            return "<ul class=\"codes\">" + code_item(value) + "</ul>"
        rows = "".join(
            f"<dt>{esc(_label(k))}</dt><dd>{_inline(v, code)}</dd>" for k, v in value.items() if v not in (None, "", [], {})
        )
        return f"<dl>{rows}</dl>"
    return f"<p>{esc(value)}</p>"


def _inline(value: Any, code: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return esc(value)
    return value_html(value, code)


def _label(key: str) -> str:
    return key.replace("_", " ") if key.islower() else key


def code_item(v: dict[str, Any]) -> str:
    code, system = str(v.get("code", "")), str(v.get("system", ""))
    reason = v.get("reason")
    billable = v.get("billable")
    tag = "" if billable is None else f" <span class=\"tag muted\">{'billable' if billable else 'not billable'}</span>"
    rest = {k: x for k, x in v.items() if k not in ("code", "system", "title", "reason", "billable") and x not in (None, "", [], {})}
    extra = value_html(rest, code) if rest else ""
    reason_html = " \u2014 <em>" + esc(reason) + "</em>" if reason else ""
    system_html = " <span class=\"tag\">" + esc(system) + "</span>" if system else ""
    return (
        f"<li><a href=\"{esc(code_href(code, system))}\"><span class=\"code\">{esc(code)}</span></a> "
        f"{esc(v.get('title', ''))}{reason_html}{system_html}{tag}{extra}</li>"
    )


# -- other pages ----------------------------------------------------------------------------
def browse_page(target: str, doc: dict[str, Any]) -> str:
    heading = str(doc.get("browse") or target or "Code systems")
    rows = doc.get("results", [])
    if not target:
        items = "".join(
            f"<li><a href=\"/browse/{esc(quote(str(r.get('name', '')), safe=''))}\">{esc(r.get('name', ''))}</a> "
            f"<span class=\"muted\">{esc(r.get('release', ''))} \u00b7 {_count(r.get('records', 0))} records</span></li>"
            for r in rows
        )
        return _layout("Browse", f"<h1>Browse the code systems</h1><ul class=\"browse\">{items}</ul>")
    items = "".join(
        f"<li><a href=\"{esc(code_href(r.get('code', ''), r.get('system', '')))}\"><span class=\"code\">{esc(r.get('code', ''))}</span></a>"
        f" {esc(r.get('title', ''))} <a class=\"tag\" href=\"/browse/{esc(quote(str(r.get('code', '')), safe=''))}\">below</a></li>"
        for r in rows
    )
    empty = "" if rows else "<p class=\"note\">Nothing below this: it is a complete code.</p>"
    return _layout(heading, f"<h1>{esc(heading)}</h1>{empty}<ul class=\"browse\">{items}</ul>")


def crosswalk_page(code: str, doc: dict[str, Any]) -> str:
    """ICD-9-CM <-> ICD-10 GEM entries, forward and backward, with their flags in words."""
    parts: list[str] = [f"<h1>Crosswalk for {esc(code)}</h1>"]
    for query in doc.get("queries", []):
        results = query.get("results") or []
        if not results:
            parts.append(f"<p class=\"note\">{esc(query.get('error') or 'no GEM entry for this code')}</p>")
        for res in results:
            status = f" <span class=\"tag muted\">{esc(res.get('status'))}</span>" if res.get("status") else ""
            parts.append(
                f"<h2><a href=\"{esc(code_href(res.get('code', ''), res.get('system', '')))}\"><span class=\"code\">"
                f"{esc(res.get('code', ''))}</span></a> {esc(res.get('title', ''))} <span class=\"tag\">{esc(res.get('system', ''))}</span>{status}</h2>"
            )
            for side in ("forward", "backward"):
                gem = res.get(side)
                if not isinstance(gem, dict):
                    continue
                items = "".join(_gem_entry(e) for e in gem.get("entries", []))
                parts.append(
                    f"<section class=\"card\"><h2>{esc(gem.get('description', side))}</h2>"
                    + (f"<ul class=\"codes\">{items}</ul>" if items else "<p class=\"muted\">no entries</p>")
                    + "</section>"
                )
    if doc.get("error"):
        parts.append(f"<p class=\"note\">{esc(doc['error'])}</p>")
    return _layout(f"Crosswalk {code}", "".join(parts))


def _gem_entry(e: dict[str, Any]) -> str:
    combo = ""
    if e.get("combination"):
        combo = f" <span class=\"tag\">scenario {esc(e.get('scenario'))}, choice list {esc(e.get('choice_list'))}</span>"
    invalid = "" if e.get("valid", True) else " <span class=\"tag muted\">not valid today</span>"
    return (
        f"<li><a href=\"{esc(code_href(e.get('code', ''), e.get('system', '')))}\"><span class=\"code\">{esc(e.get('code', ''))}</span></a> "
        f"{esc(e.get('title', ''))} \u2014 <em>{esc(e.get('meaning', ''))}</em>{combo}{invalid}</li>"
    )


BOOKS = {
    "index": ("Alphabetic Index", "A term, or 'Main term, subterm', e.g. fracture, radius"),
    "neoplasm": ("Neoplasm Table", "A site, e.g. breast"),
    "drug": ("Table of Drugs and Chemicals", "A substance, e.g. acetaminophen"),
}


def book_page(book: str, term: str, doc: dict[str, Any] | None, system: str) -> str:
    """The coders' indexes: the index walked like the book, or a table row with its columns."""
    name, hint = BOOKS[book]
    pcs = book == "index" and system in ("pcs", "icd-10-pcs")
    picker = (
        "<fieldset class=\"filters\"><legend>Index</legend>"
        f"<label class=\"chk\"><input type=\"radio\" name=\"system\" value=\"cm\"{'' if pcs else ' checked'}> ICD-10-CM</label>"
        f"<label class=\"chk\"><input type=\"radio\" name=\"system\" value=\"pcs\"{' checked' if pcs else ''}> ICD-10-PCS</label></fieldset>"
        if book == "index" else ""
    )
    tabs = "".join(
        f"<a class=\"chip\" href=\"/{b}\"{CURRENT if b == book else ''}>{esc(n)}</a>" for b, (n, _) in BOOKS.items()
    )
    form = (
        f"<nav class=\"chips\" aria-label=\"Indexes and tables\">{tabs}</nav>"
        f"<h1>{esc(name)}</h1><form class=\"search\" role=\"search\" action=\"/{book}\" method=\"get\">"
        f"<label for=\"bq\">{esc(hint)}</label><input id=\"bq\" name=\"q\" type=\"search\" value=\"{esc(term)}\">"
        f"{picker}<button type=\"submit\">Look up</button></form>"
    )
    if doc is None:
        return _layout(name, form)
    info = doc.get("book") or {}
    about = (
        f"<p class=\"meta\">{esc(info.get('name', name))}, {esc(_origin(info))}"
        f" \u00b7 {esc(info.get('source', ''))}</p>"
        + (f"<p class=\"note\">{esc(info['notes'])}</p>" if info.get("notes") else "")
    )
    notes = "".join(f"<p class=\"note\">{esc(n)}</p>" for n in doc.get("notes", []))
    rows = doc.get("results") or []
    if not rows:
        body = f"<p class=\"note\">{esc(doc.get('error') or 'Nothing found for this term.')}</p>"
    elif book == "index":
        body = "<ul class=\"book\">" + "".join(_index_line(r, system) for r in rows) + "</ul>"
    else:
        heads = doc.get("columns") or []
        head = "<tr><th scope=\"col\">Entry</th>" + "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in heads) + "</tr>"
        body = (
            f"<div class=\"scroll\"><table class=\"book-table\"><thead>{head}</thead><tbody>"
            + "".join(_table_row(r) for r in rows)
            + "</tbody></table></div>"
        )
    return _layout(f"{name}: {term}", form + about + notes + body)


def _origin(info: dict[str, Any]) -> str:
    origin, release = str(info.get("origin", "")), str(info.get("release", ""))
    return origin if release in origin else f"{origin} {release}".strip()


def _see_link(ref: str, label: str, system: str) -> str:
    if not ref:
        return ""
    return f" <em>{esc(label)}</em> <a href=\"/index?{esc(urlencode({'q': ref, 'system': system}))}\">{esc(ref)}</a>"


def _code_cell(c: dict[str, Any]) -> str:
    shown = str(c.get("shown") or c.get("code") or "")
    mark = "" if c.get("status") in (None, "", "valid") else f" <span class=\"tag muted\">{esc(c.get('status'))}</span>"
    return f"<a href=\"{esc(code_href(shown))}\" title=\"{esc(c.get('title', ''))}\"><span class=\"code\">{esc(c.get('code', shown))}</span></a>{mark}"


def _index_line(r: dict[str, Any], system: str) -> str:
    level = min(int(r.get("level") or 0), 8)
    codes = " ".join(_code_cell(c) for c in r.get("codes") or [])
    nemod = f" <span class=\"muted\">{esc(r['nemod'])}</span>" if r.get("nemod") else ""
    return (
        f"<li class=\"lvl-{level}\">{esc(r.get('term', ''))}{nemod} {codes}"
        f"{_see_link(r.get('see', ''), 'see', system)}{_see_link(r.get('see_also', ''), 'see also', system)}"
        f"{_see_link(r.get('use', ''), 'use', system)}</li>"
    )


def _table_row(r: dict[str, Any]) -> str:
    dash = "\u2014"
    cells = "".join(f"<td>{_code_cell(c) if c and c.get('code') else dash}</td>" for c in r.get("cells") or [])
    return f"<tr><th scope=\"row\" class=\"lvl-{min(int(r.get('level') or 0), 8)}\">{esc(r.get('path') or r.get('term', ''))}</th>{cells}</tr>"


def systems_page(doc: dict[str, Any]) -> str:
    cards = "".join(
        f"<section class=\"card\"><h2>{esc(r.get('name', ''))}</h2>{value_html({k: v for k, v in r.items() if k != 'name'}, '')}</section>"
        for r in doc.get("results", [])
    )
    return _layout("Sources", f"<h1>Code systems, releases and licences</h1>{cards}")


def not_found_page(code: str, doc: dict[str, Any]) -> str:
    missing = (doc.get("not_found") or [{}])[0] if isinstance(doc.get("not_found"), list) else {}
    message = str(missing.get("error") or doc.get("error") or f"no code {code}")
    sugg = missing.get("suggestions") or doc.get("suggestions") or []
    links = "".join(f"<li><a href=\"{esc(code_href(s))}\">{esc(s)}</a></li>" for s in sugg)
    body = (
        f"<h1>No page for {esc(code)}</h1><p class=\"note\">{esc(message)}</p>"
        + (f"<h2>Did you mean</h2><ul>{links}</ul>" if links else "")
        + f"<p><a href=\"/search?{esc(urlencode({'q': code}))}\">Search for \u201c{esc(code)}\u201d instead</a></p>"
    )
    return _layout(f"{code} not found", body)


def message_page(title: str, message: str, doc: dict[str, Any] | None) -> str:
    return _layout(title, f"<h1>{esc(title)}</h1><p class=\"note\">{esc(message)}</p><p><a href=\"/\">Back to search</a></p>")
