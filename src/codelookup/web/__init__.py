"""``codelookup serve``: the catalogue as a local, read-only web page.

The server shares the core with the CLI: every page and API answer is made by running the CLI's
own command functions with ``--json`` into memory (:mod:`codelookup.web.app`), so the browser can
never show a different ranking, page or exit status than the terminal. Only the standard library
serves HTTP (see the README for why no framework).
"""
