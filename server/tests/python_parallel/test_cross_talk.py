"""Parallel tests on one shared fake-servicer, run by pytest-xdist workers.

Every worker, in lock-step with the others, arms its own answer for the
*same* endpoint of the mock (``GET /shop/price``), then calls the app under
test (``app_under_test.py``), which calls that endpoint passing on the
worker's ``traceparent`` (even workers) or ``baggage`` (odd workers) as an
instrumented app does, and checks that the app answers the worker's own
answer. With scopes (each override armed with
``X-Fake-Servicer-Next-Request-Scope`` for the worker's trace id or baggage
scope) no answer may cross over; the same rounds without scopes must see
answers cross, which is what scopes are for.

The workers keep in step through fake-servicer itself: each requests
``/barrier/<run>/<step>`` and waits (``POST /__admin/requests/wait``) for
every worker's request of that step.

Run with:  FAKE_SERVICER_URL=http://127.0.0.1:PORT python -m pytest -n 4 <this dir>
"""

import http.client
import json
import os
import urllib.parse
import uuid

BASE_URL = os.environ.get("FAKE_SERVICER_URL", "").rstrip("/")

# Rounds per worker: with 4 workers, 1 000 calls with scopes.
SCOPED_ROUNDS = 250
UNSCOPED_ROUNDS = 50
# How long a worker waits for the others at a step.
BARRIER_MS = 30_000


class Connection:
    """One kept-alive HTTP/1.1 connection to a base URL."""

    def __init__(self, base_url):
        url = urllib.parse.urlsplit(base_url)
        self.host, self.port = url.hostname, url.port
        self.conn = None

    def request(self, method, path, headers=None, body=None):
        """Sends a request (again on a new connection if the kept one was
        closed); returns the status and the body as text."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                answer = self.conn.getresponse()
                return answer.status, answer.read().decode()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise


class Worker:
    def __init__(self, run, worker):
        self.run, self.worker = run, worker
        self.workers = run["workers"]
        self.mock = Connection(BASE_URL)
        self.app = Connection(run["app_url"])

    def barrier(self, step, report=""):
        """Waits until every worker reached `step`; their reports."""
        self.arrive(step, report)
        return self.wait_for(step, self.workers)

    def arrive(self, step, report=""):
        """Says this worker reached `step`."""
        path = f"/barrier/{self.run['run']}/{step}"
        self.mock.request("GET", path, {"X-Worker": str(self.worker), "X-Report": report})

    def wait_for(self, step, count):
        """Waits until `count` workers reached `step`; their reports."""
        path = f"/barrier/{self.run['run']}/{step}"
        wanted = {"urlPath": path, "count": count, "timeoutMs": BARRIER_MS}
        status, body = self.mock.request(
            "POST",
            "/__admin/requests/wait",
            {"Content-Type": "application/json"},
            json.dumps(wanted),
        )
        assert status == 200, (
            f"step {step}: not all {self.workers} workers arrived within {BARRIER_MS} ms "
            f"(are they running at once? run with -n {self.workers}): {body}"
        )
        return [r["headers"].get("X-Report", "") for r in json.loads(body)["requests"]]

    def round(self, phase, n, scoped):
        """Arms this worker's answer, calls the app; whether the app
        answered it, and what it answered."""
        scope = uuid.uuid4().hex
        if self.worker % 2 == 0:
            # The OpenTelemetry route: the trace id is the scope.
            propagated = {"traceparent": f"00-{scope}-{uuid.uuid4().hex[:16]}-01"}
        else:
            propagated = {"baggage": f"user=7,fake-servicer-scope={scope}"}
        mine = f"worker {self.worker} {phase} round {n}"
        arm = {"X-Fake-Servicer-Next-Request-Body": mine}
        if scoped:
            arm["X-Fake-Servicer-Next-Request-Scope"] = scope
        status, body = self.mock.request("GET", "/shop/price", arm)
        assert status == 202, f"arming answered {status}: {body}"
        # Every worker's answer is armed before any worker calls the app
        # (and, the step being per round, after every call of the round
        # before).
        self.barrier(f"{phase}/{n}")
        # Without scopes, the odd workers call once the even ones have been
        # answered: the calls come in an order of their own, not in the
        # order of arming (the server answers waits in the order they
        # came), so that answers cross unless scopes keep them apart.
        if not scoped and self.worker % 2 == 1:
            self.wait_for(f"{phase}/{n}/evens", (self.workers + 1) // 2)
        status, got = self.app.request("GET", "/checkout", propagated)
        if not scoped and self.worker % 2 == 0:
            self.arrive(f"{phase}/{n}/evens")
        return got == mine, got

    def phase(self, name, rounds, scoped):
        """`rounds` rounds; the answers that were not this worker's."""
        wrong = []
        for n in range(rounds):
            ok, got = self.round(name, n, scoped)
            if not ok:
                wrong.append((n, got))
        return wrong


def test_workers_arming_one_endpoint_get_their_own_answers_only_with_scopes(
    run, worker, pytestconfig
):
    w = Worker(run, worker)
    scoped = w.phase("scoped", SCOPED_ROUNDS, scoped=True)
    unscoped = w.phase("unscoped", UNSCOPED_ROUNDS, scoped=False)
    reports = w.barrier("tally", report=str(len(unscoped)))
    crossed = sum(int(r) for r in reports)
    figures = {
        "scoped": {"wrong": len(scoped), "calls": SCOPED_ROUNDS},
        "unscoped": {"wrong": len(unscoped), "calls": UNSCOPED_ROUNDS},
    }
    if hasattr(pytestconfig, "workeroutput"):
        pytestconfig.workeroutput["cross_talk"] = json.dumps(figures)
    assert scoped == [], (
        f"with scopes, {len(scoped)} of {SCOPED_ROUNDS} answers to worker {worker} "
        f"were not its own (round, answer): {scoped[:5]}"
    )
    assert crossed > 0, (
        f"without scopes, no worker of {len(reports)} ever got another's answer "
        f"in {UNSCOPED_ROUNDS} rounds each"
    )
