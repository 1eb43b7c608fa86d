#!/usr/bin/env bash
# build.sh: vet, test, then cross-compile static octofleet binaries into dist/.
#
#   ./build.sh                      all targets: linux/amd64 linux/arm64 darwin/arm64 windows/amd64
#   ./build.sh linux/amd64          only the targets given
#   VERSION=v1.2.3 ./build.sh       stamp this version (default: git describe --tags --always --dirty)
#   SKIP_TESTS=1 ./build.sh         build only (go vet still runs)
set -euo pipefail
cd "$(dirname "$0")"

VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(linux/amd64 linux/arm64 darwin/arm64 windows/amd64)
fi

go vet ./...
if [ -z "${SKIP_TESTS:-}" ]; then
	go test ./...
fi

mkdir -p dist
for target in "${targets[@]}"; do
	os="${target%/*}"
	arch="${target#*/}"
	out="dist/octofleet_${os}_${arch}"
	if [ "$os" = windows ]; then
		out="$out.exe"
	fi
	CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath \
		-ldflags "-s -w -X 'main.version=$VERSION'" -o "$out" ./cmd/octofleet
	echo "built $out ($VERSION)"
done
