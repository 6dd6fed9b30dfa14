#!/usr/bin/env bash
# The README's run command: installs npm packages if needed, builds the aggregator and runs it
# against embedded demo upstreams. Merged metrics: http://localhost:9090/metrics
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run build -w aggregator --silent
exec node aggregator/dist/metrics-aggregator.js --demo "$@"
