"""The app under test of the cross-talk tests: a few lines of HTTP server.

``GET /checkout`` calls the mock service ``shop`` (``GET /shop/price`` on
fake-servicer) and answers with what the mock answered. Like an app
instrumented with OpenTelemetry, it passes the ``traceparent`` and
``baggage`` headers of the incoming request on to that downstream call; it
knows nothing about fake-servicer's scopes.
"""

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROPAGATED = ("traceparent", "baggage")


def start(mock_url):
    """Serves the app on a free loopback port in a daemon thread.

    Returns the server (``shutdown()`` stops it) and its base URL.
    """
    mock = urllib.parse.urlsplit(mock_url)

    class Checkout(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the body go out in two writes: without this, the
        # client's delayed ACK holds the body back.
        disable_nagle_algorithm = True

        def do_GET(self):
            if self.path != "/checkout":
                self._answer(404, b"no such page")
                return
            passed = {n: self.headers[n] for n in PROPAGATED if self.headers[n]}
            downstream = http.client.HTTPConnection(mock.hostname, mock.port, timeout=30)
            try:
                downstream.request("GET", "/shop/price", headers=passed)
                answer = downstream.getresponse()
                self._answer(answer.status, answer.read())
            except OSError as e:
                self._answer(502, f"mock unreachable: {e}".encode())
            finally:
                downstream.close()

        def _answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Checkout)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"
