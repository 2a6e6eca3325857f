"""``python -m streams.cli``: the ``tracker`` command."""

import sys

from streams.cli import main

sys.exit(main())
