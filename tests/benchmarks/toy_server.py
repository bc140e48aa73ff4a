"""A tiny HTTP server standing in for `ais serve` in harness tests: /readyz, POST /toy with bearer auth."""
from __future__ import annotations

import argparse
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200 if self.path == "/readyz" else 404, {})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != f"Bearer {os.environ.get('AIS_DEV_KEY')}":
            self._send(401, {"error": "bad key"})
            return
        if self.path != "/toy":
            self._send(404, {"error": "no such task"})
            return
        texts = json.loads(body)["texts"]
        time.sleep(0.002)
        self._send(200, {"results": [{"text": t, "is_long": len(t) > 5} for t in texts]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tasks", default="toy")
    parser.add_argument("--no-batching", action="store_true")
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
