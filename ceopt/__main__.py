"""``python -m ceopt``: the ``ceopt`` command, for when its script is not on the PATH."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
