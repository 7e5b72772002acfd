#!/usr/bin/env bash
# Debian's own python3 (PEP 668, externally managed) for the README walk-through test,
# tests/e2e/test_readme_install.py. Installed beside any other Python; skipped if present.
set -euo pipefail
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import ensurepip, venv" 2>/dev/null; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
