#!/usr/bin/env python3
"""A small HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the download tests.

Usage: fault_server.py ROOT   (serves files of ROOT; prints the bound port on stdout)

Each path names a behaviour; `?file=NAME` picks the file of ROOT it serves and `?key=K` names
a counter, so that "first request fails, later ones work" cases stay independent. /stats
reports what the server measured (most requests in flight at once, most open connections).
Every wait is bounded, so a test that forgets the server never hangs on it for long.
"""

import email.utils
import http.server
import os
import socket
import sys
import threading
import time
import urllib.parse

ROOT = sys.argv[1]
lock = threading.Lock()
counters = {}
stats = {"inFlight": 0, "maxInFlight": 0, "connections": 0, "maxConnections": 0,
         "requests": 0}
seen_headers = {}


def bump(key):
    with lock:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm holds the
    # body back until the client's delayed ACK, 40 ms per response.
    disable_nagle_algorithm = True
    counted = False

    def log_message(self, *args):
        pass

    def count_connection(self):
        """Counts this connection once it carries a request that is not a question to the
        server itself, so the test's own /stats connection is not measured."""
        if self.counted:
            return
        self.counted = True
        with lock:
            stats["connections"] += 1
            stats["maxConnections"] = max(stats["maxConnections"], stats["connections"])

    def finish(self):
        if self.counted:
            with lock:
                stats["connections"] -= 1
        try:
            super().finish()
        except OSError:
            pass

    def body_of(self, query):
        name = os.path.basename(query.get("file", ["image.jpg"])[0])
        with open(os.path.join(ROOT, name), "rb") as handle:
            return handle.read()

    def send(self, status, body=b"", headers=(), length=True):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith(("/stats", "/headers")):
            self.route()
            return
        self.count_connection()
        with lock:
            stats["inFlight"] += 1
            stats["requests"] += 1
            stats["maxInFlight"] = max(stats["maxInFlight"], stats["inFlight"])
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with lock:
                stats["inFlight"] -= 1

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        key = query.get("key", [url.path])[0]
        path = url.path
        port = self.server.server_address[1]
        if path == "/stats":
            import json
            with lock:
                body = json.dumps(stats).encode()
            self.send(200, body, [("Content-Type", "application/json")])
        elif path == "/headers":
            import json
            with lock:
                body = json.dumps(seen_headers.get(key, [])).encode()
            self.send(200, body, [("Content-Type", "application/json")])
        elif path == "/image":
            self.send(200, self.body_of(query), [("Content-Type", "image/jpeg")])
        elif path == "/image-no-length":
            self.send(200, self.body_of(query), [("Content-Type", "image/jpeg")], length=False)
        elif path == "/paced":
            time.sleep(0.003)
            self.send(200, self.body_of(query), [("Content-Type", "image/jpeg")])
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self.send(code, b"<html><body>error</body></html>", [("Content-Type", "text/html")])
        elif path == "/flaky":
            if bump(key) == 1:
                self.send(500, b"try again")
            else:
                self.send(200, self.body_of(query), [("Content-Type", "image/jpeg")])
        elif path == "/retry-after-seconds":
            self.send(503, b"busy", [("Retry-After", "120")])
        elif path == "/retry-after-date":
            when = email.utils.formatdate(time.time() + 3600, usegmt=True)
            self.send(503, b"busy", [("Retry-After", when)])
        elif path == "/too-many":
            self.send(429, b"slow down", [("Retry-After", "7")])
        elif path.startswith("/redirect/"):
            hops = int(path.rsplit("/", 1)[1])
            if hops == 0:
                self.send(200, self.body_of(query), [("Content-Type", "image/jpeg")])
            else:
                target = "/redirect/%d?%s" % (hops - 1, url.query)
                self.send(302, b"", [("Location", target)])
        elif path == "/loop":
            self.send(302, b"", [("Location", "/loop")])
        elif path == "/to-file":
            self.send(302, b"", [("Location", "file:///etc/passwd")])
        elif path == "/to-blocked":
            target = "http://127.0.0.2:%d/image?%s" % (port, url.query)
            self.send(302, b"", [("Location", target)])
        elif path == "/big":
            self.stream(int(query["bytes"][0]), length=True)
        elif path == "/big-no-length":
            self.stream(int(query["bytes"][0]), length=False)
        elif path in ("/drop", "/drop-ignore-range"):
            self.drop_then_resume(query, key, honour_range=(path == "/drop"))
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"\xff")
                self.wfile.flush()
                time.sleep(1)
            self.close_connection = True
        elif path == "/slow-header":
            time.sleep(20)
            self.send(200, self.body_of(query))
        elif path == "/html":
            page = b"<!DOCTYPE html>\n<html><head><title>Not found</title></head>" \
                + b"<body><h1>Sorry</h1><p>This image is gone.</p></body></html>\n" * 400
            self.send(200, page, [("Content-Type", "image/jpeg")])
        elif path == "/pdf":
            document = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
            self.send(200, document, [("Content-Type", "image/jpeg")])
        else:
            self.send(404, b"no such behaviour")

    def stream(self, total, length):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        if length:
            self.send_header("Content-Length", str(total))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        chunk = b"\xff\xd8\xff\xe0" + b"\x00" * (64 * 1024 - 4)
        sent = 0
        while sent < total:
            part = chunk[: min(len(chunk), total - sent)]
            self.wfile.write(part)
            sent += len(part)

    def drop_then_resume(self, query, key, honour_range):
        body = self.body_of(query)
        attempt = bump(key)
        with lock:
            seen_headers.setdefault(key, []).append(
                {"range": self.headers.get("Range"), "ifRange": self.headers.get("If-Range")})
        etag = '"v1-%d"' % len(body)
        if attempt == 1:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        wanted = self.headers.get("Range", "")
        if honour_range and wanted.startswith("bytes=") and self.headers.get("If-Range") == etag:
            start = int(wanted[6:].split("-")[0])
            part = body[start:]
            self.send(206, part, [("ETag", etag),
                                  ("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1,
                                                                         len(body)))])
        else:
            self.send(200, body, [("ETag", etag)])


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    watchdog = threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True)
    watchdog.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
