"""``python -m sandbox``: run the sandbox standalone."""

from __future__ import annotations

import sys

from sandbox.cli import main

sys.exit(main())
