"""Starting the bundled server, or attaching to a running one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from typing import List, Optional, Sequence

from ._admin import Admin, FakeServicerError
from ._binary import find_fake_servicer_bin
from .handle import FakeServicer

LISTENING = re.compile(r"fake-servicer listening on (http://\S+)")


class Server:
    """A fake-servicer server: one this process started (`Server.start`) or
    one already running (`Server.attach`)."""

    def __init__(self, url: str, process: Optional[subprocess.Popen] = None, log_path: Optional[str] = None, token: Optional[str] = None) -> None:
        #: The base URL (`http://127.0.0.1:PORT`, or `FAKE_SERVICER_URL`).
        self.url = url.rstrip("/")
        #: Where the started server's output goes.
        self.log_path = log_path
        self.admin = Admin(self.url, token)
        self._process = process
        self._temp: Optional[str] = None

    @classmethod
    def start(
        cls,
        root: Optional[str] = None,
        mappings: Optional[str] = None,
        plugins: Optional[str] = None,
        protos: Optional[str] = None,
        args: Sequence[str] = (),
        log_path: Optional[str] = None,
        timeout: float = 60.0,
    ) -> "Server":
        """Starts `fake-servicer` on a free loopback port and waits until it
        serves.

        `root` is a WireMock root dir (`mappings/`, `__files/`, `grpc/`),
        `mappings` a dir of stub files, `plugins` a dir of plugin libraries
        or of plugin crates (built by the server: source mode), `protos`
        `.proto` files for gRPC stubs; `args` are more flags. Without any,
        it serves stubs made through the admin API only.
        """
        command: List[str] = [find_fake_servicer_bin(), "--listen", "127.0.0.1:0", "--docker", "off"]
        # The log, and the empty root dir of a server given none: removed
        # when the server stops.
        temp = tempfile.mkdtemp(prefix="fake-servicer-")
        if root:
            command += ["--root-dir", root]
        if mappings:
            command += ["--mappings", mappings]
        if plugins:
            command += ["--sources" if _has_crates(plugins) else "--plugins", plugins]
        if protos:
            command += ["--proto-dir", protos]
        if not (root or plugins):
            os.makedirs(os.path.join(temp, "root", "mappings"))
            command += ["--root-dir", os.path.join(temp, "root")]
        command += list(args)
        if log_path is None:
            log_path = os.path.join(temp, "server.log")
        with open(log_path, "wb") as log:
            # The server's output goes to the file, not a pipe: it outlives
            # this process when another one stops it (pytest-xdist).
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        url = _read_url(process, log_path, timeout)
        if url is None:
            process.kill()
            process.wait()
            with open(log_path, "rb") as f:
                said = f.read().decode("utf-8", "replace")[-4000:]
            shutil.rmtree(temp, ignore_errors=True)
            raise FakeServicerError("start", " ".join(command), process.returncode or -1, f"the server did not start:\n{said}")
        server = cls(url, process, log_path)
        server._temp = temp
        server.wait_until_ready(timeout)
        return server

    @classmethod
    def attach(cls, url: str, token: Optional[str] = None, timeout: float = 60.0) -> "Server":
        """A running server at `url` (`http://fake-services` in compose),
        once it answers `GET /__admin/health`."""
        server = cls(url, token=token)
        server.wait_until_ready(timeout)
        return server

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.admin.call("GET", "/health", timeout=5)
                return
            except (OSError, FakeServicerError) as error:
                if self._process is not None and self._process.poll() is not None:
                    raise FakeServicerError("start", self.url, self._process.returncode, "the server exited") from error
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.url} did not answer GET /__admin/health within {timeout} s: {error}") from error
                time.sleep(0.05)

    def scope(self, name: Optional[str] = None) -> FakeServicer:
        """A handle working in scope `name` (a new random one by default);
        `close()` it (or use `with`) to remove the scope."""
        return FakeServicer(self.admin, name or uuid.uuid4().hex)

    @property
    def unscoped(self) -> FakeServicer:
        """A handle whose stubs answer every request (for an app that passes
        no scope on), and whose journal queries see all requests."""
        return FakeServicer(self.admin, None)

    def stop(self, timeout: float = 10.0) -> None:
        """Stops a started server (SIGTERM: in-flight requests finish);
        nothing for an attached one."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<fake_servicer.Server {self.url}>"


def _has_crates(directory: str) -> bool:
    """Whether `directory` holds plugin crates (source mode) rather than
    built libraries."""
    if os.path.isfile(os.path.join(directory, "Cargo.toml")):
        return True
    try:
        return any(os.path.isfile(os.path.join(directory, d, "Cargo.toml")) for d in os.listdir(directory))
    except OSError:
        return False


def _read_url(process: subprocess.Popen, log_path: str, timeout: float) -> Optional[str]:
    """The URL the server's first line names, read from its log as soon as
    it is written; None when it exits or the timeout passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, "rb") as f:
            match = LISTENING.search(f.read(64 * 1024).decode("utf-8", "replace"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            return None
        time.sleep(0.02)
    return None
