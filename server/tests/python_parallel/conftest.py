"""Set-up of the cross-talk tests, shared by the pytest-xdist workers.

The controller process (the only process without xdist) starts the app
under test, adds the mock's default answer and hands both to the workers:
one app and one fake-servicer shared by every worker, as in a compose
file. It also gathers the workers' figures for the end of the report.
"""

import json
import os
import urllib.request
import uuid

import pytest

import app_under_test

BASE_URL = os.environ.get("FAKE_SERVICER_URL", "").rstrip("/")

# The mock's answer when no override answers.
DEFAULT_ANSWER = "base"


def _add_default_stub():
    mapping = {
        "request": {"method": "GET", "urlPath": "/price", "service": "shop"},
        "response": {"status": 200, "body": DEFAULT_ANSWER},
    }
    request = urllib.request.Request(
        BASE_URL + "/__admin/mappings",
        data=json.dumps(mapping).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as answer:
        assert answer.status == 201, answer.read()


def pytest_configure(config):
    config.cross_talk_figures = []
    if not BASE_URL or hasattr(config, "workerinput"):
        return
    _add_default_stub()
    server, url = app_under_test.start(BASE_URL)
    config.cross_talk_app = server
    workers = config.getoption("numprocesses", default=None)
    config.cross_talk = {
        "app_url": url,
        "run": uuid.uuid4().hex[:12],
        "workers": workers if isinstance(workers, int) else 1,
    }


def pytest_unconfigure(config):
    server = getattr(config, "cross_talk_app", None)
    if server is not None:
        server.shutdown()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """Hands the app's URL, the run's id and the worker count to a worker."""
    node.workerinput.update(node.config.cross_talk)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    figures = getattr(node, "workeroutput", {}).get("cross_talk")
    if figures:
        node.config.cross_talk_figures.append(json.loads(figures))


def pytest_terminal_summary(terminalreporter, config):
    figures = config.cross_talk_figures
    if not figures:
        return
    for phase in ("scoped", "unscoped"):
        wrong = sum(f[phase]["wrong"] for f in figures)
        calls = sum(f[phase]["calls"] for f in figures)
        terminalreporter.write_line(
            f"cross-talk {phase}: {wrong} of {calls} answers were another worker's"
        )


def _run(config):
    return getattr(config, "workerinput", None) or getattr(config, "cross_talk", None)


def pytest_generate_tests(metafunc):
    if "worker" in metafunc.fixturenames:
        run = _run(metafunc.config) or {"workers": 1}
        metafunc.parametrize("worker", range(run["workers"]))


@pytest.fixture(scope="session")
def run(pytestconfig):
    """The app's URL, the run's id and how many workers take part."""
    if not BASE_URL:
        pytest.skip("FAKE_SERVICER_URL is not set (expected e.g. http://127.0.0.1:34567)")
    run = _run(pytestconfig)
    if run["workers"] < 2:
        pytest.skip("needs parallel pytest-xdist workers: run with -n 4")
    return run
