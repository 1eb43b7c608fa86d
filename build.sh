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

# Packages for the Octopus built-in feed, named <PackageId>.<Version>.<ext> as
# the feed expects: dist/octofleet.<version>.tar.gz (Linux workers) and .zip
# (Windows workers), each holding the binary as "octofleet" (what the step
# templates run) and the runbook JSON. `octofleet install --package FILE`
# uploads one; without --package, install packages the running binary.
pkgversion="${VERSION#v}"
if ! [[ "$pkgversion" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	pkgversion="0.0.0-dev" # the feed takes semantic versions only
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
for target in "${targets[@]}"; do
	case "$target" in
	linux/amd64) bin="dist/octofleet_linux_amd64" ext=tar.gz ;;
	windows/amd64) bin="dist/octofleet_windows_amd64.exe" ext=zip ;;
	*) continue ;;
	esac
	rm -rf "${stage:?}"/* && mkdir -p "$stage/runbooks"
	cp "$bin" "$stage/octofleet${bin##*amd64}"
	cp -r runbooks/step-templates runbooks/octofleet-project.json "$stage/runbooks/"
	out="$PWD/dist/octofleet.$pkgversion.$ext"
	rm -f "$out"
	if [ "$ext" = tar.gz ]; then
		tar -C "$stage" --owner=0 --group=0 --mtime=@0 --sort=name -czf "$out" .
	elif command -v zip >/dev/null; then
		(cd "$stage" && zip -qrX "$out" .)
	else
		echo "zip not found: skipped $out" >&2
		continue
	fi
	echo "packaged $out"
done
