"""The plugin itself: its options, attaching, the command and its module."""

import os
import subprocess
import sys
import urllib.request

from fake_servicer import find_fake_servicer_bin


def test_python_m_fake_servicer_runs_the_installed_command():
    said = subprocess.run([sys.executable, "-m", "fake_servicer", "--version"], capture_output=True, text=True, timeout=30)
    assert said.returncode == 0 and said.stdout.startswith("fake-servicer "), said
    assert os.path.realpath(os.path.dirname(find_fake_servicer_bin())) == os.path.realpath(os.path.dirname(sys.executable))


def test_the_ini_root_dir_serves_its_mappings(pytester, monkeypatch):
    monkeypatch.delenv("FAKE_SERVICER_URL", raising=False)
    pytester.makeini("[pytest]\nfake_servicer_root = wm\naddopts = -p no:cacheprovider\n")
    mappings = pytester.mkdir("wm").joinpath("mappings")
    mappings.mkdir()
    mappings.joinpath("hello.json").write_text('{"request": {"urlPath": "/hello"}, "response": {"body": "from the root"}}')
    pytester.makepyfile(
        """
        import urllib.request

        def test_hello(fake_servicer):
            with urllib.request.urlopen(fake_servicer.url_for(None, "/hello"), timeout=10) as answer:
                assert answer.read() == b"from the root"
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_the_command_line_root_dir_wins_over_the_ini(pytester, monkeypatch):
    monkeypatch.delenv("FAKE_SERVICER_URL", raising=False)
    pytester.makeini("[pytest]\nfake_servicer_root = absent\naddopts = -p no:cacheprovider\n")
    pytester.mkdir("wm").joinpath("mappings").mkdir()
    pytester.path.joinpath("wm/mappings/a.json").write_text('{"request": {"urlPath": "/a"}, "response": {"body": "a"}}')
    pytester.makepyfile(
        """
        import urllib.request

        def test_a(fake_servicer):
            with urllib.request.urlopen(fake_servicer.url_for(None, "/a"), timeout=10) as answer:
                assert answer.read() == b"a"
        """
    )
    pytester.runpytest_subprocess("--fake-servicer-root", "wm").assert_outcomes(passed=1)


def test_fake_servicer_url_attaches_to_a_running_server_instead_of_starting_one(pytester, fake_servicer_server, monkeypatch):
    monkeypatch.setenv("FAKE_SERVICER_URL", fake_servicer_server.url)
    pytester.makepyfile(
        f"""
        def test_attached(fake_servicer_server):
            assert fake_servicer_server.url == "{fake_servicer_server.url}"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_every_test_gets_a_new_scope_removed_at_its_end(pytester, fake_servicer_server, monkeypatch):
    monkeypatch.setenv("FAKE_SERVICER_URL", fake_servicer_server.url)
    pytester.makepyfile(
        """
        seen = []

        def test_one(fake_servicer):
            fake_servicer.expect_request("/x").respond_with_data("x")
            seen.append(fake_servicer.scope)

        def test_two(fake_servicer, fake_servicer_server):
            scopes = {s["scope"] for s in fake_servicer_server.admin.call("GET", "/scopes")[1]["scopes"]}
            assert fake_servicer.scope != seen[0] and seen[0] not in scopes
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_failing_start_names_the_servers_own_error(pytester, monkeypatch):
    monkeypatch.delenv("FAKE_SERVICER_URL", raising=False)
    pytester.makeini("[pytest]\nfake_servicer_args = --journal-size nope\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile("def test_x(fake_servicer):\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the server did not start*", "*--journal-size*"])


def test_pytest_xdist_workers_share_one_server_stopped_at_the_end(pytester, monkeypatch):
    import pytest

    pytest.importorskip("xdist")
    monkeypatch.delenv("FAKE_SERVICER_URL", raising=False)
    seen = pytester.mkdir("seen")
    monkeypatch.setenv("SEEN", str(seen))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(
        """
        import os, pytest

        @pytest.mark.parametrize("n", range(8))
        def test_url(fake_servicer, n):
            with open(os.path.join(os.environ["SEEN"], os.environ["PYTEST_XDIST_WORKER"]), "a") as f:
                f.write(fake_servicer.url + "\\n")
        """
    )
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=8)
    urls = {line for f in seen.iterdir() for line in f.read_text().split()}
    assert len(list(seen.iterdir())) == 2 and len(urls) == 1, urls
    with pytest.raises(OSError):
        urllib.request.urlopen(urls.pop() + "/__admin/health", timeout=5)
