"""``python -m mcp_front`` runs the command line."""

import sys

from mcp_front.cli import main

sys.exit(main())
