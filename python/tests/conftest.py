import json
import urllib.error
import urllib.request

pytest_plugins = ["pytester"]


def call(url, method="GET", body=None, headers=None, timeout=10):
    """One request: (status, headers, body bytes), whatever the status."""
    data = body if isinstance(body, (bytes, type(None))) else (json.dumps(body).encode() if not isinstance(body, str) else body.encode())
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()
