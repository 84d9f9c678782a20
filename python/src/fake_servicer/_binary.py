"""Where the `fake-servicer` executable of this installation is."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

EXE = "fake-servicer" + (".exe" if sys.platform == "win32" else "")


def find_fake_servicer_bin() -> str:
    """The path of the `fake-servicer` command this package installed.

    Looked for in the scripts directory of the running interpreter's
    environment (the wheel puts it there), then of the user scheme, then
    on `PATH`. `FAKE_SERVICER_BIN` names another one (a build of your own).

    >>> import os
    >>> os.path.basename(find_fake_servicer_bin()).startswith("fake-servicer")
    True
    """
    given = os.environ.get("FAKE_SERVICER_BIN")
    if given:
        return given
    candidates = [sysconfig.get_path("scripts")]
    user_scheme = {"win32": "nt_user", "darwin": "osx_framework_user"}.get(sys.platform, "posix_user")
    try:
        candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    except KeyError:
        pass
    candidates.append(os.path.join(os.path.dirname(sys.executable)))
    for directory in candidates:
        path = os.path.join(directory, EXE)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(EXE)
    if found:
        return found
    raise FileNotFoundError(
        f"the {EXE} command is not installed next to this Python "
        f"(looked in {', '.join(candidates)} and on PATH): "
        "`pip install fake-servicer`, or set FAKE_SERVICER_BIN to a build of your own"
    )
