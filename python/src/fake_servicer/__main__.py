"""`python -m fake_servicer …` runs the `fake-servicer` command with the same arguments."""

import os
import subprocess
import sys

from ._binary import find_fake_servicer_bin


def main() -> int:
    binary = find_fake_servicer_bin()
    if sys.platform == "win32":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
