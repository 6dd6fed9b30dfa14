#!/usr/bin/env bash
# Prints the CHANGELOG.md section of one version: the lines between its heading and the next
# version's, as commit-and-tag-version writes them ("## [1.2.0](<compare url>) (<date>)", or
# "## 1.2.0 (<date>)" without a compare link). The release workflow uses it as the release notes.
# Usage: .github/scripts/changelog-section.sh <version> [changelog]   (fails if the version has no heading)
set -euo pipefail
version="${1:?usage: changelog-section.sh <version> [changelog]}"
changelog="${2:-CHANGELOG.md}"

section="$(
  awk -v version="$version" '
    # A version heading: level 2 (or 3, which older standard-version releases used for patches).
    /^###? \[?[0-9]+\.[0-9]+\.[0-9]+/ {
      if (found) exit
      heading = $2
      sub(/^\[/, "", heading)
      sub(/\].*$/, "", heading)
      if (heading == version) { found = 1; next }
    }
    found { print }
    END { if (!found) exit 3 }
  ' "$changelog"
)" || {
  echo "changelog-section: $changelog has no heading for version $version" >&2
  exit 1
}
# Trim the blank lines around the section; the notes start with its first subsection.
section="$(printf '%s\n' "$section" | sed -e '/./,$!d' | tac | sed -e '/./,$!d' | tac)"
# A release with no feat/fix commits (the first one, --first-release) has a heading and nothing under it.
if [ -z "$section" ]; then section="No changes are listed under $version in CHANGELOG.md."; fi
printf '%s\n' "$section"
