#!/usr/bin/env bash
# Type check (mypy, configured in pyproject.toml) and the count of `type: ignore` in the product.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(jobs workers mcp_front sandbox)
ignores=$(grep -rEo --include='*.py' 'type: *ignore' "${packages[@]}" | wc -l)
echo "type: ignore in ${packages[*]}: ${ignores}"
uv_cmd=(python3 -m uv) && [ -x .uv/bin/uv ] && uv_cmd=(.uv/bin/uv)  # .ci/run makes .uv (README)
"${uv_cmd[@]}" run --locked mypy
