"""`python -m orchard.generator`: the command line of orchard.generator.cli (`--help` explains it)."""

import sys

from orchard.generator.cli import main

sys.exit(main())
