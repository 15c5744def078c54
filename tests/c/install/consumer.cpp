// A program built against an installed mfpo (make install PREFIX=...), once
// with pkg-config and once with CMake's find_package(mfpo): it includes
// both headers, creates an agent, acts, and prints "N passed, M failed".
#include <mfpo.h>
#include <mfpo.hpp>

#include <cstdio>
#include <string>

int main() {
	int passed = 0, failed = 0;
	auto check = [&](bool ok, const char *name) {
		std::printf("%s %s\n", ok ? "ok  " : "FAIL", name);
		(ok ? passed : failed)++;
	};
	check(std::string(mfpo_version()) == MFPO_VERSION, "the installed library has the installed header's version");
	try {
		auto a = mfpo::agent::create(R"({"preset":"small","hidden":[8],"shards":1})", 3, 1, {-2.f}, {2.f});
		auto act = a.act(std::vector<float>{0.1f, 0.2f, 0.3f}, mfpo::mode::deterministic);
		check(act.size() == 1 && act[0] >= -2 && act[0] <= 2, "act through the installed library");
	} catch (const mfpo::error &e) {
		std::printf("     %s\n", e.what());
		check(false, "act through the installed library");
	}
	check(mfpo_debug_live_handles() == 0, "no live handles");
	std::printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
