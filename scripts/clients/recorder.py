"""A recording HTTP proxy in front of an Images v2 endpoint.

The OpenStack clients talk to it as their image endpoint; it forwards every request to the
target unchanged and keeps the exchange (method, path and query, the headers and body the
client sent, status and body of the answer). With an identity it also adds the trusted
identity headers a Glance whose pipeline trusts them (and imgconf's reference server) reads,
so the clients can run with a token-less auth plugin.

    python recorder.py --target URL [--project P --roles member] [--log FILE]

serves on a free loopback port (printed on stdout) until interrupted; each exchange is one
JSON line in FILE. scripts/clients/lifecycle.py uses the Recorder class in-process.
"""

import argparse
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

# Headers that belong to one hop, not to the exchange.
# The client's Host is passed on, so the links the target builds from it (the versions
# document's hrefs) lead back through the proxy.
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-connection", "content-length"}
# Bodies larger than this are recorded by size only (image data).
KEEP = 4096


def identity_headers(project, user, roles):
    """What keystonemiddleware would hand to Glance for a confirmed token."""
    return {
        "X-Identity-Status": "Confirmed",
        "X-Project-Id": project,
        "X-User-Id": user,
        "X-Roles": roles,
    }


def _body_record(headers, body):
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not body:
        return None
    if "json" in ctype and len(body) <= KEEP:
        try:
            return json.loads(body)
        except ValueError:
            pass
    return {"bytes": len(body)}


class Recorder:
    """A threaded proxy; `exchanges` grows as requests pass (guarded by `lock`)."""

    def __init__(self, target, identity=None):
        self.target = urllib.parse.urlsplit(target.rstrip("/"))
        self.identity = identity or {}
        self.exchanges = []
        self.lock = threading.Lock()
        self.sink = None
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                recorder.forward(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def take(self):
        """The exchanges recorded since the last take."""
        with self.lock:
            taken, self.exchanges = self.exchanges, []
        return taken

    def forward(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = _read_chunked(h.rfile)
        else:
            body = h.rfile.read(length) if length else b""
        sent = {k: v for k, v in h.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        out = dict(sent, Host=h.headers.get("Host", self.target.netloc))
        out.update(self.identity)
        conn_cls = (http.client.HTTPSConnection if self.target.scheme == "https"
                    else http.client.HTTPConnection)
        conn = conn_cls(self.target.netloc, timeout=60)
        try:
            conn.request(h.command, self.target.path + h.path, body=body or None, headers=out)
            resp = conn.getresponse()
            data = resp.read()
            status, reason, rheaders = resp.status, resp.reason, resp.getheaders()
        except OSError as e:
            data = ("proxy: %s" % e).encode()
            status, reason, rheaders = 502, "Bad Gateway", [("Content-Type", "text/plain")]
        finally:
            conn.close()
        rdict = dict(rheaders)
        record = {
            "seq": time.monotonic(),   # orders the exchanges of several recorders
            "method": h.command,
            "path": h.path,
            # A token is never kept (the clients here send a dummy one, but still).
            "headers": {k: ("<redacted>" if k.lower() == "x-auth-token" else v)
                        for k, v in sent.items()},
            "body": _body_record(sent, body),
            "status": status,
            "response_headers": {k: v for k, v in rheaders if k.lower() not in HOP},
            "response": _body_record(rdict, data),
        }
        # Kept before the client has its answer, so a step never ends before its exchanges.
        with self.lock:
            self.exchanges.append(record)
            if self.sink:
                self.sink.write(json.dumps(record) + "\n")
                self.sink.flush()

        h.send_response(status, reason)
        for k, v in rheaders:
            if k.lower() not in HOP:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)


def _read_chunked(rfile):
    data = b""
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            rfile.readline()
            return data
        data += rfile.read(size)
        rfile.readline()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True)
    p.add_argument("--project")
    p.add_argument("--user", default="imgconf-clients-user")
    p.add_argument("--roles", default="member,reader")
    p.add_argument("--log")
    a = p.parse_args()
    identity = identity_headers(a.project, a.user, a.roles) if a.project else None
    rec = Recorder(a.target, identity)
    if a.log:
        rec.sink = open(a.log, "a", encoding="utf-8")
    print(rec.url, flush=True)
    try:
        rec.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
