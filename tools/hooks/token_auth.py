#!/usr/bin/env python3
"""Stream-key authentication for SwiftSRS (and SRS) http_hooks: a tiny hook server, stdlib only.

    HOOK_SECRET=s3cret tools/hooks/token_auth.py [--listen 127.0.0.1:8085] [--tokens-dir DIR]
                                                  [--play open|token|deny]

Publishers put their key in the URL's token parameter:
    ffmpeg -re -i in.flv -c copy -f flv 'rtmp://server/live/livestream?token=s3cret'

on_publish accepts when the token equals HOOK_SECRET (if set) or the stream's own token, the
content of DIR/<app>/<stream> (one line; if that file exists). on_play (--play): open (accept
every player, the default), token (the same check, with DIR/<app>/<stream>.play when it exists,
else the publish token), deny (refuse all). Every other event (on_connect, on_close, on_stop,
on_unpublish, on_hls, on_dvr...) is accepted and logged. GET /healthz answers ok (probes).

Answers: 200 with the body 0 accepts; 403 with {"code":403,"msg":...} refuses (SRS and SwiftSRS
refuse anything but 200/201 with 0 or {"code":0}). Tokens are compared in constant time. Wire
it in the server's config (docs/hooks.md):

    vhost __defaultVhost__ {
        http_hooks {
            enabled     on;
            on_publish  http://127.0.0.1:8085/api/v1/streams;
            on_play     http://127.0.0.1:8085/api/v1/sessions;
        }
    }
"""
import argparse
import hmac
import http.server
import json
import os
import sys
import urllib.parse


def token_of(param):
    """The token in a hook's param (`?token=abc&x=1`), or None."""
    values = urllib.parse.parse_qs(param.lstrip("?")).get("token")
    return values[0] if values else None


def read_token(tokens_dir, app, stream, suffix=""):
    """The stream's token file's first line, or None (no dir, no file, or a name that climbs out)."""
    if not tokens_dir:
        return None
    root = os.path.realpath(tokens_dir)
    path = os.path.realpath(os.path.join(root, app, stream + suffix))
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.readline().strip() or None


def matches(given, *expected):
    if given is None:
        return False
    return any(e is not None and hmac.compare_digest(given.encode(), e.encode()) for e in expected)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body in one write: a client that delays its ACKs would wait 40 ms for a second one.
    wbufsize = -1
    config = None

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        # /healthz for probes; on_hls_notify GETs (if wired here) are accepted too.
        self.answer(200, "ok" if self.path == "/healthz" else "0")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            event = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return self.answer(400, '{"code":400,"msg":"body is not json"}')
        action = event.get("action", "")
        why = self.refusal(action, event)
        where = f"{event.get('app', '')}/{event.get('stream', '')} from {event.get('ip', '')} client {event.get('client_id', '')}"
        if why:
            print(f"token_auth: refuse {action} {where}: {why}", file=sys.stderr, flush=True)
            return self.answer(403, json.dumps({"code": 403, "msg": why}))
        print(f"token_auth: accept {action} {where}", file=sys.stderr, flush=True)
        self.answer(200, "0")

    def refusal(self, action, event):
        c = self.config
        app, stream, given = event.get("app", ""), event.get("stream", ""), token_of(event.get("param", ""))
        if action == "on_publish":
            if not matches(given, c.secret, read_token(c.tokens_dir, app, stream)):
                return "bad or missing token"
        elif action == "on_play":
            if c.play == "deny":
                return "playing is disabled"
            if c.play == "token":
                own = read_token(c.tokens_dir, app, stream, ".play") or read_token(c.tokens_dir, app, stream)
                if not matches(given, c.secret, own):
                    return "bad or missing token"
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:8085", help="host:port to listen on")
    ap.add_argument("--tokens-dir", help="per-stream tokens: DIR/<app>/<stream> (and <stream>.play)")
    ap.add_argument("--play", choices=["open", "token", "deny"], default="open", help="who may play")
    args = ap.parse_args()
    args.secret = os.environ.get("HOOK_SECRET") or None
    if not args.secret and not args.tokens_dir:
        print("token_auth: set HOOK_SECRET or --tokens-dir, or every publish is refused", file=sys.stderr)
    host, _, port = args.listen.rpartition(":")
    Handler.config = args
    server = http.server.ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
    server.daemon_threads = True
    print(f"token_auth: listening on {host or '0.0.0.0'}:{port}, play {args.play}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
