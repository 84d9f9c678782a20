"""An overview service that calls a products service by name — the shape of
python-wiremock's compose example — in a few lines of `http.server`. It
passes no scope on: its tests stub the products service unscoped.

`python3 overview_service.py` serves it on `OVERVIEW_PORT` (5001); the
products service is `PRODUCTS_SERVICE_HOST` (`http://products_srv:5002`)."""

import json
import os
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Overview(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        target = urllib.parse.urlsplit(self.path)
        if target.path != "/overview":
            self.send_error(404)
            return
        query = dict(urllib.parse.parse_qsl(target.query))
        params = {k: v for k, v in query.items() if k in ("category", "sort_by") and v}
        host = os.environ.get("PRODUCTS_SERVICE_HOST", "http://products_srv:5002")
        url = f"{host}/products" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                body = {"products": json.load(answer)}
        except urllib.error.HTTPError as error:
            body = {"error": True, "error_message": error.read().decode(), "error_status": error.code}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve():
    """Starts the service on a free loopback port: the server, its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Overview)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


if __name__ == "__main__":
    port = int(os.environ.get("OVERVIEW_PORT", "5001"))
    print(f"overview service on :{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Overview).serve_forever()
