#!/usr/bin/env bash
# Installs everything mfpo's build and tests need, on a fresh Debian 12 machine
# or an old one: apt packages, Go modules, Python packages. Idempotent: it
# installs only what is missing, so running it again costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libopenblas-dev pkg-config)
missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: apt-get install ${missing[*]}"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

go mod download

for f in scripts/setup.d/*.sh; do
	[ -e "$f" ] && bash "$f"
done
echo "setup: ok"
