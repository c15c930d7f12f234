"""Measure ``codelookup serve``: start-up time, server time per page and API call, a bounded load test.

Everything stays on this machine: the server listens on 127.0.0.1, the load test sends a fixed
number of requests (default 200 over 10 concurrent connections) and stops by itself.

    python bench/web.py                      # Markdown table
    python bench/web.py --requests 400 --concurrency 20
    python bench/web.py --screenshots docs/screenshots   # also desktop and phone screenshots (Chromium)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PATHS = (
    "/",
    "/search?q=epidural",
    "/search?q=heart+attack",
    "/search?q=diabetis+foot+ulcer",
    "/code/62264",
    "/code/E11.621",
    "/code/0SRC0J9",
    "/browse/E11",
    "/api/search?q=broken+wrist",
    "/api/show/62264",
    "/api/show/I10",
)


def start_server() -> tuple[subprocess.Popen[str], str, float]:
    exe = shutil.which("codelookup")
    cmd = [exe] if exe else [sys.executable, "-m", "codelookup"]
    started = time.perf_counter()
    proc = subprocess.Popen([*cmd, "serve", "--port", "0", "--quiet"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    ready = time.perf_counter() - started
    url = line.split("serving on ", 1)[1].split(" ", 1)[0].rstrip("/")
    return proc, url, ready


def fetch(url: str) -> tuple[int, float, float]:
    """(status, client milliseconds, server milliseconds: the page's own time from Server-Timing)."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            resp.read()
            status, timing = resp.status, resp.headers.get("Server-Timing", "")
    except urllib.error.HTTPError as exc:
        status, timing = exc.code, exc.headers.get("Server-Timing", "")
    except OSError:
        return 0, (time.perf_counter() - started) * 1000, 0.0
    client = (time.perf_counter() - started) * 1000
    server = float(timing.split("dur=", 1)[1].split(",", 1)[0]) if "dur=" in timing else 0.0
    return status, client, server


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def screenshots(url: str, folder: str) -> list[str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("screenshots skipped: no chromium on PATH", file=sys.stderr)
        return []
    os.makedirs(folder, exist_ok=True)
    shots = (
        ("search-desktop.png", "/search?q=broken+wrist", "1280,900"),
        ("code-desktop.png", "/code/62264", "1280,1400"),
        ("code-phone.png", "/code/62264", "390,1200"),
        ("search-phone.png", "/search?q=epidural", "390,900"),
    )
    made = []
    for name, path, size in shots:
        out = os.path.join(folder, name)
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={size}",
             f"--screenshot={out}", url + path],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        if os.path.exists(out):
            made.append(out)
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--screenshots", metavar="FOLDER")
    args = parser.parse_args()
    proc, url, ready = start_server()
    try:
        for path in PATHS:  # warm every route once
            fetch(url + path)
        print(f"server start (process launch to 'serving on'): {ready * 1000:.0f} ms\n")
        print("| route | server ms (median of 15) | client ms (median) |\n|---|---:|---:|")
        for path in PATHS:
            runs = [fetch(url + path) for _ in range(15)]
            server_ms, client_ms = statistics.median(r[2] for r in runs), statistics.median(r[1] for r in runs)
            print(f"| `{path}` | {server_ms:.1f} | {client_ms:.1f} |")
        targets = [url + PATHS[i % len(PATHS)] for i in range(args.requests)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(fetch, targets))
        wall = time.perf_counter() - started
        errors = sum(1 for status, _, _ in results if status not in (200,))
        client = [c for _, c, _ in results]
        server = [s for _, _, s in results]
        print(
            f"\nload: {args.requests} requests over {args.concurrency} connections to 127.0.0.1 in {wall:.2f} s "
            f"({args.requests / wall:.0f} req/s); errors {errors}; client p50 {pct(client, 50):.1f} ms, "
            f"p95 {pct(client, 95):.1f} ms; server p50 {pct(server, 50):.1f} ms, p95 {pct(server, 95):.1f} ms"
        )
        if args.screenshots:
            for path in screenshots(url, args.screenshots):
                print(f"screenshot: {path}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
