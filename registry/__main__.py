"""``python -m registry`` is the ``berth`` command."""
import sys

from registry.cli import main

sys.exit(main())
