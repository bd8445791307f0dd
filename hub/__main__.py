"""``python -m hub``: the same as the ``mihub`` command."""

import sys

from hub.cli import main

sys.exit(main())
