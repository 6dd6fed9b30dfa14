#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (Debian packages, npm packages,
# Go-built tools into .tools/bin), then runs every test. The README's test command; CI runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real peers the tests run against: Prometheus 2.42 and promtool, node_exporter, the Python
# client's strict OpenMetrics parser (for Debian's /usr/bin/python3), openssl for TLS test certs,
# yamllint for the chart sources, shellcheck for the scripts (test/e2e, scripts/); git, certificates
# and pip for the version, commit and tool-install steps on a minimal Debian.
debian_packages=(prometheus prometheus-node-exporter python3-prometheus-client openssl yamllint shellcheck
  git ca-certificates python3-pip)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error

bash scripts/go-tools.sh
bash scripts/python-tools.sh

npm test

# The manifest validator that the construct, chart and kustomize tests rely on, tested on its own.
(cd test/k8s-validate && go test -count=1 ./...)
