"""`python -m orchard.quality`: the command line of orchard.quality.cli (`--help` explains it)."""

import sys

from orchard.quality.cli import main

sys.exit(main())
