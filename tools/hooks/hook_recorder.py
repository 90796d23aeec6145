#!/usr/bin/env python3
"""A hook server that records every request SwiftSRS (or SRS) sends and answers by rules: to see
what your hooks will receive, and what the integration tests use.

    tools/hooks/hook_recorder.py PORT DIR

DIR/rules.json (re-read at each request) maps "<action>:<stream>", "<action>" or "*" to an
answer; the first key present wins, the default is "allow". Answers: allow ({"code":0}), zero
(0), deny ({"code":1}), garbage (ok), status:<code> ({"code":0} with that status), close (no
answer, connection closed), slow:<ms>[:<answer>] (waits, then answers).
DIR/requests.jsonl gets one JSON line per request, in arrival order: t (arrival, epoch s),
method, path, headers ([name, value] in order), body, peer (the client's port: one per
connection, to see keep-alive reuse).
"""
import http.server
import json
import os
import sys
import threading
import time

PORT, DIR = int(sys.argv[1]), sys.argv[2]
LOCK = threading.Lock()


def rules():
    try:
        with open(os.path.join(DIR, "rules.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def serve(self):
        arrived = time.time()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        try:
            fields = json.loads(body) if body else {}
        except ValueError:
            fields = {}
        action = fields.get("action", "on_hls_notify" if self.command == "GET" else "")
        r = rules()
        key = f"{action}:{fields.get('stream', '')}"
        answer = r.get(key, r.get(action, r.get("*", "allow")))
        record = {"t": arrived, "method": self.command, "path": self.path, "headers": list(self.headers.items()),
                  "body": body, "peer": self.client_address[1]}
        with LOCK, open(os.path.join(DIR, "requests.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        self.answer(answer)

    def answer(self, a):
        if a.startswith("slow:"):
            parts = a.split(":", 2)
            time.sleep(int(parts[1]) / 1000)
            a = parts[2] if len(parts) > 2 else "allow"
        if a == "close":
            self.close_connection = True
            return
        status, out = 200, b'{"code":0}'
        if a == "zero":
            out = b"0"
        elif a == "deny":
            out = b'{"code":1}'
        elif a == "garbage":
            out = b"ok"
        elif a.startswith("status:"):
            status = int(a.split(":")[1])
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = serve
    do_GET = serve


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
