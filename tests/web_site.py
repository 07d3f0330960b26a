"""A small web site on 127.0.0.1 for link-ingest tests: pages whose text a test can change,
served with an ETag (answering 304 to a matching If-None-Match), and a log of the requests."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article>
<h1>{title}</h1>
<p>{body}</p>
<h2>Timing</h2>
<p>Each station lasts twelve minutes; a timer on the board shows when to rotate to the next table.</p>
</article>
<footer>Copyright the district PD team. Cookie settings.</footer>
</body></html>"""


class Site:
    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.hits: list[tuple[str, int]] = []  # (path, status)
        self.server: ThreadingHTTPServer | None = None

    def put(self, path: str, title: str, body: str) -> str:
        self.pages[path] = PAGE.format(title=title, body=body).encode()
        return self.url(path)

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def statuses(self, path: str) -> list[int]:
        return [s for p, s in self.hits if p == path]


@contextmanager
def serve_site() -> Iterator[Site]:
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = site.pages.get(self.path)
            if body is None:
                site.hits.append((self.path, 404))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                site.hits.append((self.path, 304))
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            site.hits.append((self.path, 200))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
