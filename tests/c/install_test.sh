#!/usr/bin/env bash
# install_test.sh TMPDIR [TARBALL]: the C/C++ consumers of an installed mfpo.
#
# Without TARBALL: `make install PREFIX=TMPDIR/prefix`. With TARBALL (make
# dist-c's): the tarball unpacked into TMPDIR/prefix, TMPDIR outside the
# checkout, and the whole test re-run from a copy in TMPDIR inside a private
# mount namespace (unshare, as root) where the checkout is an empty tmpfs
# and the system's OpenBLAS, libgfortran and libquadmath files are /dev/null.
# Then, either way: the tree is moved (it is relocatable), and
# tests/c/install/consumer.cpp is built against it twice, with pkg-config and
# with CMake's find_package(mfpo), and run. Prints one line per check and
# "N passed, M failed".
set -uo pipefail
tmp=$(realpath -m "${1:?usage: install_test.sh TMPDIR [TARBALL]}")
tarball=${2:+$(realpath "$2")}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/install
if [[ -n $tarball && -z ${MFPO_HIDDEN:-} ]]; then
	root=$(cd "$here/../.." && pwd)
	case $tmp/ in "$root"/*) echo "install_test.sh: TMPDIR $tmp lies in the checkout $root"; exit 1 ;; esac
	rm -rf "$tmp" && mkdir -p "$tmp/src"
	cp "$0" "$src/consumer.cpp" "$src/CMakeLists.txt" "$tarball" "$tmp/src/"
	hide="mount -t tmpfs mfpo-hidden '$root'"
	for f in $(ldconfig -p | awk '$1 ~ /^lib(openblas|gfortran|quadmath)/ {print $NF}' | xargs -r realpath | sort -u); do
		hide+=" && mount --bind /dev/null '$f'"
	done
	exec unshare --mount --propagation private sh -c "$hide"' && exec "$@"' sh \
		env MFPO_HIDDEN="$hide" bash "$tmp/src/install_test.sh" "$tmp" "$tmp/src/$(basename "$tarball")"
fi
if [[ -n ${MFPO_HIDDEN:-} ]]; then
	src=$here
	echo "hidden: $MFPO_HIDDEN"
else
	root=$(cd "$here/../.." && pwd)
	rm -rf "$tmp" && mkdir -p "$tmp"
fi
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

if [[ -n $tarball ]]; then
	mkdir -p "$prefix"
	check "unpack $(basename "$tarball")" tar xzf "$tarball" -C "$prefix" --strip-components=1
	check "the vendored libraries' licenses in share/licenses/mfpo" \
		bash -c "ls '$prefix'/share/licenses/mfpo/vendored/*openblas*"
else
	check "make install PREFIX=$prefix" make -C "$root" --no-print-directory install PREFIX="$prefix"
fi
check "installed: lib/libmfpo.so, include/mfpo.h, include/mfpo.hpp, lib/pkgconfig/mfpo.pc, lib/cmake/mfpo/mfpoConfig.cmake" \
	test -f "$prefix/lib/libmfpo.so" -a -f "$prefix/include/mfpo.h" -a -f "$prefix/include/mfpo.hpp" \
	-a -f "$prefix/lib/pkgconfig/mfpo.pc" -a -f "$prefix/lib/cmake/mfpo/mfpoConfig.cmake"
check "installed: the checkpoint schema in share/mfpo/schema" bash -c "ls '$prefix'/share/mfpo/schema/*.fbs"
# The installed tree is relocatable: move it and consume it from there.
mv "$prefix" "$tmp/moved" && prefix=$tmp/moved

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "pkg-config --modversion mfpo is MFPO_VERSION" \
	bash -c "[ \"\$(pkg-config --modversion mfpo)\" = \"\$(sed -n 's/^#define MFPO_VERSION \"\\(.*\\)\"/\\1/p' '$prefix/include/mfpo.h')\" ]"
check "build the consumer with pkg-config" \
	bash -c "g++ -std=c++17 -Wall -Werror $src/consumer.cpp \$(pkg-config --cflags --libs mfpo) -Wl,-rpath,$prefix/lib -o $tmp/consumer-pc"
check "run the pkg-config consumer" "$tmp/consumer-pc"

check "configure the consumer with CMake find_package(mfpo)" \
	cmake -S "$src" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
check "build the CMake consumer" cmake --build "$tmp/cmake"
check "run the CMake consumer" "$tmp/cmake/consumer"
check "the consumer needs libmfpo.so by its soname, not a path" \
	bash -c "readelf -d $tmp/cmake/consumer | grep -q 'NEEDED.*\\[libmfpo.so\\]'"

if [[ -n $tarball ]]; then
	for c in "$tmp/consumer-pc" "$tmp/cmake/consumer"; do
		check "ldd ${c#"$tmp"/}: OpenBLAS from the tarball's lib/mfpo.libs, nothing missing" \
			bash -c "ldd $c && ! ldd $c | grep 'not found' &&
				[ \"\$(ldd $c | awk '/openblas/ {print \$3}' | xargs -r realpath | xargs -r dirname)\" = '$prefix/lib/mfpo.libs' ]"
	done
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
