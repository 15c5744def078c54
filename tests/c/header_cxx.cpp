// mfpo.h must compile as C++17 without warnings and give the functions C
// linkage: this program only links against libmfpo.so if the extern "C"
// block is right.
#include "mfpo.h"

#include <cstdio>
#include <string>

int main() {
	static_assert(MFPO_VERSION_MAJOR >= 0, "MFPO_VERSION_MAJOR is an integer");
	const std::string v = mfpo_version();
	const char *info = mfpo_build_info();
	if (v != MFPO_VERSION || info == nullptr) {
		std::printf("FAIL C++: mfpo_version() \"%s\", MFPO_VERSION \"%s\"\n", v.c_str(), MFPO_VERSION);
		std::printf("0 passed, 1 failed\n");
		return 1;
	}
	std::printf("ok   mfpo.h compiles, links and runs as C++17\n");
	std::printf("1 passed, 0 failed\n");
	return 0;
}
