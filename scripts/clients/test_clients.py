"""Tests of the clients' lifecycle tooling (standard library only, no client needed):

    python3 -m unittest discover -s scripts/clients -p 'test_*.py'
"""

import http.server
import io
import json
import os
import sys
import tempfile
import threading
import unittest
import urllib.request
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import lifecycle  # noqa: E402
import recorder  # noqa: E402


def transcript(client, steps):
    return {"client": client, "steps": steps}


def step(title, http, result):
    return {"step": title, "http": http, "result": result}


class CompareTest(unittest.TestCase):
    def run_compare(self, ref, glance, allowed):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, doc in (("ref", ref), ("glance", glance), ("allow", {"allowed": allowed})):
                path = os.path.join(d, name + ".json")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(doc, f)
                paths.append(path)
            out = io.StringIO()
            argv = sys.argv
            sys.argv = ["compare.py", "--allow", paths[2], paths[0], paths[1]]
            try:
                with redirect_stdout(out):
                    code = compare.main()
            except SystemExit as e:
                code = e.code
            finally:
                sys.argv = argv
            return code, out.getvalue()

    def test_same_allowed_different_and_stale(self):
        a = transcript("sdk", [step("one", ["GET /v2/images -> 200"], []),
                               step("two", ["GET /v2/images?os_hidden=True -> 400"], None),
                               step("three", ["GET / -> 300"], None)])
        b = transcript("sdk", [step("one", ["GET /v2/images -> 200"], []),
                               step("two", ["GET /v2/images?os_hidden=True -> 200"], None),
                               step("three", ["GET / -> 300"], {"x": 1})])
        code, out = self.run_compare(a, b, [])
        self.assertEqual(code, 1)
        self.assertIn("different: sdk: two", out)
        self.assertIn("-  GET /v2/images?os_hidden=True -> 400", out)
        self.assertIn("+  GET /v2/images?os_hidden=True -> 200", out)
        self.assertIn("clients lifecycle: 1 steps same, 0 allowed, 2 different", out)

        allow = [{"client": "sdk", "step": "two", "reason": "r"},
                 {"client": "sdk", "step": "three", "reason": "r"}]
        code, out = self.run_compare(a, b, allow)
        self.assertEqual(code, 0, out)
        self.assertIn("clients lifecycle: 1 steps same, 2 allowed, 0 different", out)

        stale = allow + [{"client": "sdk", "step": "one", "reason": "r"}]
        code, out = self.run_compare(a, b, stale)
        self.assertEqual(code, 1)
        self.assertIn("allow-list entry matched nothing (remove it): sdk: one", out)

        timing = allow + [{"client": "sdk", "step": "one", "reason": "r", "intermittent": True}]
        self.assertEqual(self.run_compare(a, b, timing)[0], 0)

    def test_steps_out_of_line_and_missing_steps_differ(self):
        a = transcript("osc", [step("one", [], None), step("two", [], None)])
        b = transcript("osc", [step("uno", [], None)])
        code, out = self.run_compare(a, b, [])
        self.assertEqual(code, 1)
        self.assertIn("steps out of line: 'one' vs 'uno'", out)
        self.assertIn("different: osc: two", out)

    def test_allow_list_entries_need_client_step_and_reason(self):
        a = transcript("osc", [])
        code, _ = self.run_compare(a, a, [{"client": "osc", "step": "x"}])
        self.assertTrue(str(code).endswith("allow.json: allowed[0]: missing reason"), code)

    def test_transcripts_of_different_clients_are_refused(self):
        code, _ = self.run_compare(transcript("osc", []), transcript("sdk", []), [])
        self.assertIn("transcripts of different clients", str(code))


class NormaliserTest(unittest.TestCase):
    def test_placeholders(self):
        n = lifecycle.Normaliser({"imgconf-clients-ab12": "<prefix>"}, {"fs": "<store1>"})
        text = n.text("imgconf-clients-ab12-one 0E7D3C4E-1111-2222-3333-444455556666 "
                      "2026-12-02T18:43:57Z fs,offset In-fs-store "
                      "0e7d3c4e-1111-2222-3333-444455556666")
        self.assertEqual(text, "<prefix>-one <id1> <time> <store1>,offset In-fs-store <id1>")
        value = n.value({"tags": ["b", "a"], "ops": [{"op": "add", "path": "/tags",
                                                      "value": ["t2", "t1"]}]})
        self.assertEqual(value, {"ops": [{"op": "add", "path": "/tags", "value": ["t1", "t2"]}],
                                 "tags": ["a", "b"]})

    def test_error_outcome_keeps_kind_and_status_only(self):
        class Boom(Exception):
            status_code = 409
        self.assertEqual(lifecycle.error_outcome(Boom("Conflict: whatever wording")),
                         {"type": "Boom", "status": 409})
        self.assertEqual(lifecycle.error_outcome(ValueError("HTTP 404 Not Found")),
                         {"type": "ValueError", "status": 404})
        self.assertEqual(lifecycle.error_outcome(ValueError("no status")),
                         {"type": "ValueError", "status": None})

    def test_table_rows(self):
        rows = lifecycle.table("+----+------+\n| ID | Name |\n+----+------+\n| 1  | a    |\n"
                               "+----+------+\n")
        self.assertEqual(rows, [["ID", "Name"], ["1", "a"]])
        self.assertEqual(lifecycle.field([["id", "x"], ["name", "n"]], "name"), "n")


class RecorderTest(unittest.TestCase):
    def test_forwards_adds_identity_records_and_redacts(self):
        seen = {}

        class Target(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                seen["headers"] = dict(self.headers)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen["body"] = body
                reply = json.dumps({"got": json.loads(body)}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
        threading.Thread(target=target.serve_forever, daemon=True).start()
        rec = recorder.Recorder("http://127.0.0.1:%d" % target.server_address[1],
                                recorder.identity_headers("p1", "u1", "member")).start()
        try:
            req = urllib.request.Request(rec.url + "/v2/images", data=b'{"name": "x"}',
                                         method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Auth-Token": "secret-token"})
            with urllib.request.urlopen(req, timeout=10) as r:
                self.assertEqual(r.status, 201)
                self.assertEqual(json.load(r), {"got": {"name": "x"}})
        finally:
            rec.stop()
            target.shutdown()
            target.server_close()
        self.assertEqual(seen["headers"]["X-Project-Id"], "p1")
        self.assertEqual(seen["headers"]["X-Identity-Status"], "Confirmed")
        # The client's Host goes through: links the target builds lead back to the proxy.
        self.assertEqual(seen["headers"]["Host"], rec.url.split("//")[1])
        (record,) = rec.take()
        self.assertEqual((record["method"], record["path"], record["status"]),
                         ("POST", "/v2/images", 201))
        self.assertEqual(record["body"], {"name": "x"})
        self.assertEqual(record["response"], {"got": {"name": "x"}})
        self.assertEqual(record["headers"]["X-Auth-Token"], "<redacted>")
        self.assertNotIn("secret-token", json.dumps(record))

    def test_an_unreachable_target_is_a_502_with_the_reason(self):
        rec = recorder.Recorder("http://127.0.0.1:9").start()
        try:
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(rec.url + "/v2/images", timeout=10)
            self.assertEqual(e.exception.code, 502)
            self.assertIn(b"proxy: ", e.exception.read())
        finally:
            rec.stop()
        self.assertEqual(rec.take()[0]["status"], 502)


if __name__ == "__main__":
    unittest.main()
