"""``python -m registry.cli``: the same as the ``berth`` command."""
import sys

from registry.cli.main import main

sys.exit(main())
