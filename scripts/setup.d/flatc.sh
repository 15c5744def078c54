#!/usr/bin/env bash
# flatc for `make generate` and `make check-generate` (the checkpoint
# format's generated code, mk/checkpoint.mk): Debian's flatbuffers-compiler,
# flatc 2.0.8, the version the committed code was generated with. Run by
# scripts/setup.sh from the repo root, or on its own. Idempotent: nothing to
# do when flatc is on the PATH.
set -euo pipefail

WANT=2.0.8
if ! command -v "${FLATC:-flatc}" >/dev/null 2>&1; then
	echo "setup: apt-get install flatbuffers-compiler"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq flatbuffers-compiler >/dev/null
fi
have=$("${FLATC:-flatc}" --version | awk '{print $NF}')
if [ "$have" != "$WANT" ]; then
	echo "setup: warning: flatc $have is not $WANT; make check-generate will report the generated checkpoint code as stale" >&2
fi
