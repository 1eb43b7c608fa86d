#!/bin/sh
# octofleet launcher, packaged as "octofleet" next to the binaries
# octofleet_<os>_<arch>[.exe]: runs the one built for this worker. The step
# templates' Bash scripts and the facade step run it; scripts/step.ps1 picks
# the binary the same way for PowerShell.
dir=$(cd "$(dirname "$0")" && pwd)
kernel=$(uname -s)
machine=$(uname -m)
case "$kernel" in
Linux) os=linux ;;
Darwin) os=darwin ;;
MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;; # Git Bash, MSYS2, Cygwin on Windows workers
*) os=$(printf '%s' "$kernel" | tr '[:upper:]' '[:lower:]') ;;
esac
case "$machine" in
x86_64 | amd64 | x64) arch=amd64 ;;
aarch64 | arm64 | armv8*) arch=arm64 ;;
*) arch=$machine ;;
esac
bin="$dir/octofleet_${os}_${arch}"
[ "$os" != windows ] || bin="$bin.exe"
if [ ! -f "$bin" ]; then
  held=
  for f in "$dir"/octofleet_*_*; do
    [ -f "$f" ] || continue
    f=${f##*/octofleet_}
    f=${f%.exe}
    held="${held:+$held, }${f%%_*}/${f#*_}"
  done
  echo "octofleet: this worker is $os/$arch ($kernel $machine), but the octofleet package holds binaries for ${held:-no platform} only (build.sh builds one per target)" >&2
  exit 1
fi
# A package extracted from a zip has lost the executable bit.
[ -x "$bin" ] || chmod +x "$bin" 2>/dev/null || true
exec "$bin" "$@"
