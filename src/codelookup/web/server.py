"""The HTTP side of ``codelookup serve``: the standard library's threading server, nothing more.

Why the standard library: the page is local, read-only and answers in milliseconds, so a
framework would add install size and start-up time (the server must start in under a second)
without adding anything the page needs. Requests are read on one thread each, but every
catalogue call runs on ONE worker thread that owns the :class:`~codelookup.api.Library` and its
SQLite connection (SQLite connections belong to the thread that opened them), so the index is
never shared between threads and a slow client never blocks the others.
"""

from __future__ import annotations

import ipaddress
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import CodelookupError, ExitCode
from .app import Response, WebApp

LOOPBACK_NAMES = ("localhost", "")


class ServeError(CodelookupError):
    """The server cannot start (port in use, address not available): exit 74."""

    exit_code = ExitCode.IO


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CatalogueWorker:
    """Runs every catalogue call on one thread, which creates and owns the :class:`WebApp`."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codelookup-catalogue")
        self._app: WebApp | None = None

    def _handle(self, method: str, target: str) -> Response:
        started = time.perf_counter()
        if self._app is None:
            self._app = WebApp()
        resp = self._app.handle(method, target)
        resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return resp

    def warm_up(self) -> None:
        """Open the index before the first visitor arrives (and build it once if needed)."""
        self.handle("GET", "/api/systems")

    def handle(self, method: str, target: str) -> Response:
        return self._pool.submit(self._handle, method, target).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "codelookup"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 15  # seconds a client may take to send its request line and headers

    worker: CatalogueWorker  # set on the subclass made by make_server
    quiet: bool

    def _answer(self, method: str) -> None:
        started = time.perf_counter()
        try:
            resp = self.worker.handle(method, self.path)
        except Exception:  # a bug: answer 500 without a traceback to the client
            resp = Response(500, "text/plain; charset=utf-8", b"internal error\n")
        # app: time spent on the page itself; total: including the wait for the catalogue thread.
        total = f"total;dur={(time.perf_counter() - started) * 1000:.2f}"
        resp.headers["Server-Timing"] = f"{resp.headers.get('Server-Timing', 'app;dur=0')}, {total}"
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(resp.body)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def _refuse(self) -> None:
        self._answer(self.command or "POST")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


def make_server(host: str, port: int, *, quiet: bool = False) -> tuple[ThreadingHTTPServer, CatalogueWorker]:
    """A bound (not yet serving) server and its catalogue worker; port 0 picks a free port."""
    worker = CatalogueWorker()
    handler = type("BoundHandler", (Handler,), {"worker": worker, "quiet": quiet})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        worker.close()
        reason = exc.strerror or str(exc)
        hint = "pick another with --port" if getattr(exc, "errno", None) == 98 else "check --host and --port"
        raise ServeError(f"cannot listen on {host}:{port}: {reason}", hint=hint) from None
    server.daemon_threads = True
    return server, worker


def serve(host: str, port: int, *, open_browser: bool = False, quiet: bool = False) -> int:
    """Run until Ctrl-C; prints the address on stdout and a warning when not bound to loopback."""
    started = time.perf_counter()
    server, worker = make_server(host, port, quiet=quiet)
    worker.warm_up()
    bound_host, bound_port = server.server_address[:2]
    host_text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{host_text}]" if ":" in host_text else host_text
    url = f"http://{shown}:{bound_port}/"
    if not is_loopback(host):
        sys.stderr.write(
            f"codelookup: warning: listening on {host}, so anyone who can reach this machine can read the page; "
            "use --host 127.0.0.1 to keep it private\n"
        )
    sys.stdout.write(f"codelookup: serving on {url} (ready in {time.perf_counter() - started:.2f} s; Ctrl-C stops)\n")
    sys.stdout.flush()
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        sys.stderr.write("codelookup: stopped\n")
    finally:
        server.server_close()
        worker.close()
    return 0
