"""``python -m registry.agent``: the node agent without the ``berth`` console script."""
import sys

from registry.agent.cli import main

sys.exit(main(sys.argv[1:]))
