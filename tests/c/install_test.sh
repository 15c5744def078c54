#!/usr/bin/env bash
# install_test.sh TMPDIR: `make install PREFIX=TMPDIR/prefix`, then build
# tests/c/install/consumer.cpp against the installed tree twice, with
# pkg-config and with CMake's find_package(mfpo), and run both. Prints one
# line per check and "N passed, M failed".
set -uo pipefail
tmp=$(realpath -m "${1:?usage: install_test.sh TMPDIR}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
prefix=$tmp/prefix
passed=0 failed=0
check() { # check NAME COMMAND...: runs the command, output indented
	local name=$1
	shift
	if "$@" >"$tmp/log" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name:"
		sed 's/^/     /' "$tmp/log"
	fi
}

check "make install PREFIX=$prefix" make -C "$root" --no-print-directory install PREFIX="$prefix"
check "installed: lib/libmfpo.so, include/mfpo.h, include/mfpo.hpp, lib/pkgconfig/mfpo.pc, lib/cmake/mfpo/mfpoConfig.cmake" \
	test -f "$prefix/lib/libmfpo.so" -a -f "$prefix/include/mfpo.h" -a -f "$prefix/include/mfpo.hpp" \
	-a -f "$prefix/lib/pkgconfig/mfpo.pc" -a -f "$prefix/lib/cmake/mfpo/mfpoConfig.cmake"
if ls "$root"/gocore/checkpoint/schema/*.fbs >/dev/null 2>&1; then
	check "installed: the checkpoint schema in share/mfpo/schema" \
		bash -c "ls '$prefix'/share/mfpo/schema/*.fbs"
fi
# The installed tree is relocatable: move it and consume it from there.
mv "$prefix" "$tmp/moved" && prefix=$tmp/moved

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "pkg-config --modversion mfpo is MFPO_VERSION" \
	bash -c "[ \"\$(pkg-config --modversion mfpo)\" = \"\$(sed -n 's/^#define MFPO_VERSION \"\\(.*\\)\"/\\1/p' '$prefix/include/mfpo.h')\" ]"
check "build the consumer with pkg-config" \
	bash -c "g++ -std=c++17 -Wall -Werror $here/install/consumer.cpp \$(pkg-config --cflags --libs mfpo) -Wl,-rpath,$prefix/lib -o $tmp/consumer-pc"
check "run the pkg-config consumer" "$tmp/consumer-pc"

check "configure the consumer with CMake find_package(mfpo)" \
	cmake -S "$here/install" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
check "build the CMake consumer" cmake --build "$tmp/cmake"
check "run the CMake consumer" "$tmp/cmake/consumer"
check "the consumer needs libmfpo.so by its soname, not a path" \
	bash -c "readelf -d $tmp/cmake/consumer | grep -q 'NEEDED.*\\[libmfpo.so\\]'"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
