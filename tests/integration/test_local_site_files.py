"""The local gateway serves the built site while publishes replace its files (write + rename):
every response is one whole version of a file, never a body cut short or mixed."""

from __future__ import annotations

import os
import threading

import httpx

from fpv.local.gateway import SiteFiles
from tests.support.server import serve_in_thread

SMALL, LARGE = b"a" * 1_000, b"b" * 60_000


def test_a_file_replaced_while_it_is_served_comes_whole(tmp_path):
    page = tmp_path / "schedule.json"
    page.write_bytes(SMALL)
    stop = threading.Event()

    def publish() -> None:  # what LocalDirStorage.put does: a temp file, then os.replace
        n = 0
        while not stop.is_set():
            tmp = tmp_path / f".tmp-{n}"
            tmp.write_bytes(LARGE if n % 2 else SMALL)
            os.replace(tmp, page)
            n += 1

    writer = threading.Thread(target=publish)
    with serve_in_thread(SiteFiles(directory=tmp_path, html=True)) as url:
        writer.start()
        try:
            bodies = [httpx.get(f"{url}/schedule.json", timeout=10).content for _ in range(150)]
        finally:
            stop.set()
            writer.join()
        assert all(body in (SMALL, LARGE) for body in bodies)
        assert {len(b) for b in bodies} == {len(SMALL), len(LARGE)}  # both versions were seen
        # conditional requests still work for the live polling
        first = httpx.get(f"{url}/schedule.json")
        again = httpx.get(f"{url}/schedule.json", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
