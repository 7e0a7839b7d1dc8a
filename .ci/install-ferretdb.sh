#!/usr/bin/env bash
# Installs FerretDB v1 as a static binary at ~/go/bin/ferretdb.
# A plain `go install ...@v1.24.2` builds a binary that panics at start: the module ships an
# empty build/version/version.txt (release builds generate it). So build from a copy of the
# module source with that file filled in.
set -euo pipefail
version=v1.24.2
bin="${GOBIN:-$(go env GOPATH)/bin}/ferretdb"
# Output captured whole: under pipefail, `| grep -q` can fail with SIGPIPE when grep exits early.
installed=$("$bin" --version 2>/dev/null || true)
if [[ $installed == *"version: $version"* ]]; then
  echo "ferretdb $version already at $bin"
  exit 0
fi
export GOFLAGS=-mod=mod
src=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
(cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/ferretdb)
installed=$("$bin" --version)
echo "${installed%%$'\n'*}"
