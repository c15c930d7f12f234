// codelookup local page: results as you type, keyboard navigation, short section anchors.
// Every value is written with textContent and setAttribute only, so catalogue text and
// queries can never become markup. The page works without this script (plain links and forms).
"use strict";
(function () {
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function codeHref(code, system) {
    var href = "/code/" + encodeURIComponent(code);
    return system ? href + "?system=" + encodeURIComponent(system) : href;
  }
  function renderResults(doc, query) {
    var list = document.getElementById("results");
    var status = document.getElementById("status");
    if (!list || !status) { return; }
    list.textContent = "";
    var results = doc.results || [];
    status.textContent = "";
    if (!results.length) {
      status.textContent = "Nothing found for \u201c" + query + "\u201d." +
        ((doc.suggestions && doc.suggestions.length) ? " Did you mean: " + doc.suggestions.join(", ") + "?" : "");
      return;
    }
    var count = doc.count || results.length;
    var total = doc.total || count;
    status.textContent = total > count ? "showing " + count.toLocaleString("en-US") + " of " + total.toLocaleString("en-US")
                                       : count + (count === 1 ? " result" : " results");
    if (total > count) {
      status.appendChild(document.createTextNode(" \u2014 "));
      var all = el("a", "", "show all");
      all.setAttribute("href", "/search?" + new URLSearchParams({q: query, limit: "all"}).toString());
      status.appendChild(all);
    }
    results.forEach(function (r) {
      var li = el("li");
      var a = el("a", "hit");
      a.setAttribute("href", codeHref(r.code, r.system));
      a.appendChild(el("span", "code", r.code));
      a.appendChild(document.createTextNode(" "));
      a.appendChild(el("span", "title", r.title));
      li.appendChild(a);
      [r.system, r.billable ? "billable" : "not billable", r.match].forEach(function (t, i) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", i ? "tag muted" : "tag", t));
      });
      list.appendChild(li);
    });
  }
  function params(form) {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { p.append(k, v); });
    return p;
  }
  function setupSearch() {
    var form = document.getElementById("search-form");
    var box = document.getElementById("q");
    if (!form || !box) { return; }
    var timer = null, seq = 0;
    function run() {
      var p = params(form);
      var q = (p.get("q") || "").trim();
      var mine = ++seq;
      history.replaceState(null, "", q ? "/search?" + p.toString() : "/");
      if (!q) { renderResults({results: []}, ""); document.getElementById("status").textContent = ""; return; }
      p.set("limit", "25");
      fetch("/api/search?" + p.toString(), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (doc) { if (mine === seq) { renderResults(doc, q); } })
        .catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(run, 150); }
    box.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(timer); run(); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        var first = document.querySelector("#results a.hit");
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    var list = document.getElementById("results");
    list.addEventListener("keydown", function (e) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a.hit"));
      var i = links.indexOf(document.activeElement);
      if (i < 0) { return; }
      if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : box).focus(); }
      else if (e.key === "Escape") { box.focus(); }
    });
    list.addEventListener("focusin", function (e) {
      Array.prototype.forEach.call(list.children, function (li) { li.classList.toggle("active", li.contains(e.target)); });
    });
  }
  function setupShortcuts() {
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.key === "/" && !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement)) {
        var box = document.getElementById("q") || document.getElementById("top-q");
        if (box) { e.preventDefault(); box.focus(); box.select(); }
      }
    });
  }
  function followShortAnchor() {
    // "#risks" and other prefixes of a section's name reach that section.
    var h = decodeURIComponent(location.hash.slice(1)).toLowerCase().replace(/_/g, "-");
    if (!h || document.getElementById(h)) { return; }
    var cards = document.querySelectorAll("section.card[id]");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].id.indexOf(h) === 0) { cards[i].scrollIntoView(); return; }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    setupSearch(); setupShortcuts(); followShortAnchor();
  });
  window.addEventListener("hashchange", followShortAnchor);
})();
