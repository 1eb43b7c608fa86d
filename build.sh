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

# The package for the Octopus built-in feed, named <PackageId>.<Version>.<ext>
# as the feed expects: dist/octofleet.<version>.tar.gz, holding every binary
# built above as octofleet_<os>_<arch>[.exe], the launcher as "octofleet"
# (scripts/octofleet.sh: the Bash step templates run it, and it runs the
# binary for the worker's OS and architecture; the PowerShell templates pick
# the binary the same way) and the runbook JSON. One package serves Linux,
# Windows and macOS workers, amd64 and arm64 (Calamari extracts .tar.gz on
# all of them). `octofleet install --package dist/octofleet.<version>.tar.gz`
# uploads it (or `--package dist/`, or run dist/octofleet_<os>_<arch> install).
pkgversion="${VERSION#v}"
if ! [[ "$pkgversion" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	pkgversion="0.0.0-dev" # the feed takes semantic versions only
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/runbooks"
install -m 0755 scripts/octofleet.sh "$stage/octofleet"
for target in "${targets[@]}"; do
	os="${target%/*}"
	arch="${target#*/}"
	bin="dist/octofleet_${os}_${arch}"
	if [ "$os" = windows ]; then
		bin="$bin.exe"
	fi
	cp "$bin" "$stage/"
done
cp -r runbooks/step-templates* runbooks/octofleet-project.json "$stage/runbooks/"
out="$PWD/dist/octofleet.$pkgversion.tar.gz"
rm -f "$out" "$PWD/dist/octofleet.$pkgversion.zip"
tar -C "$stage" --owner=0 --group=0 --mtime=@0 --sort=name -czf "$out" .
echo "packaged $out (${targets[*]})"
