// act_tool — the C++ half of tests/python/test_parity_cpp.py: the actions
// libmfpo.so gives (through mfpo.hpp) for a checkpoint, a mode, a seed and
// observations read from stdin, printed as float32 bit patterns so that a
// comparison with Python is exact.
//
//   act_tool CHECKPOINT MODE SEED < rows
//   act_tool --build-info   # prints mfpo_build_info(): which BLAS kernels it runs
//
// MODE is sample, best_of_n or deterministic; SEED a decimal integer in
// [0, 2^64). Each non-blank line of stdin is one observation: obs_dim numbers
// separated by blanks, read with strtof (decimal, or C99 hex floats such as
// Python's float.hex() of a float32 value, which convert exactly). All rows
// go to the library in one act call. Output: one line per row, act_dim
// actions (in the checkpoint's action units) as 8 hex digits of their bits.
// Any error: a message on stderr, exit status 2, nothing on stdout.
#include "mfpo.hpp"

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

const char *const usage =
    "usage: act_tool CHECKPOINT sample|best_of_n|deterministic SEED < observation rows\n"
    "       act_tool --build-info";

struct failure : std::runtime_error {
	using std::runtime_error::runtime_error;
};

mfpo::mode parse_mode(const std::string &s) {
	if (s == "sample")
		return mfpo::mode::sample;
	if (s == "best_of_n")
		return mfpo::mode::best_of_n;
	if (s == "deterministic")
		return mfpo::mode::deterministic;
	throw failure("unknown mode \"" + s + "\": want sample, best_of_n or deterministic");
}

// parse_seed: a decimal integer in [0, 2^64), nothing else (strtoull alone
// would accept a sign, blanks and "0x").
std::uint64_t parse_seed(const std::string &s) {
	bool digits = !s.empty() && s.size() <= 20;
	for (char c : s)
		digits = digits && c >= '0' && c <= '9';
	if (digits) {
		errno = 0;
		char *end = nullptr;
		unsigned long long v = std::strtoull(s.c_str(), &end, 10);
		if (errno == 0 && *end == '\0')
			return static_cast<std::uint64_t>(v);
	}
	throw failure("seed \"" + s + "\": want a decimal integer in [0, 2^64)");
}

// read_rows appends every observation row of in to obs and returns how many
// rows there were; each must have exactly width numbers.
std::size_t read_rows(std::istream &in, std::size_t width, std::vector<float> &obs) {
	std::string line;
	std::size_t rows = 0, lineno = 0;
	while (std::getline(in, line)) {
		lineno++;
		const char *s = line.c_str();
		std::size_t n = 0;
		for (;;) {
			while (std::isspace(static_cast<unsigned char>(*s)))
				s++;
			if (*s == '\0')
				break;
			char *end = nullptr;
			errno = 0;
			float v = std::strtof(s, &end);
			if (end == s || (*end != '\0' && !std::isspace(static_cast<unsigned char>(*end)))) {
				std::size_t len = std::strcspn(s, " \t\r\n\v\f");
				throw failure("stdin line " + std::to_string(lineno) + ": \"" + std::string(s, len) +
				              "\" is not a number");
			}
			if (errno == ERANGE && std::isinf(v))
				throw failure("stdin line " + std::to_string(lineno) + ": \"" + std::string(s, static_cast<std::size_t>(end - s)) +
				              "\" is out of float32 range");
			obs.push_back(v);
			n++;
			s = end;
		}
		if (n == 0)
			continue; // a blank line
		if (n != width)
			throw failure("stdin line " + std::to_string(lineno) + " has " + std::to_string(n) +
			              " numbers; the checkpoint's observations have obs_dim = " + std::to_string(width));
		rows++;
	}
	if (in.bad())
		throw failure("reading stdin failed");
	if (rows == 0)
		throw failure("no observation rows on stdin");
	return rows;
}

int run(int argc, char **argv) {
	if (argc == 2 && std::string(argv[1]) == "--build-info") {
		std::printf("%s\n", mfpo::build_info().c_str());
		return std::fflush(stdout) == 0 ? 0 : 2;
	}
	if (argc != 4)
		throw failure(usage);
	const std::string path = argv[1];
	const mfpo::mode m = parse_mode(argv[2]);
	const std::uint64_t seed = parse_seed(argv[3]);

	mfpo::policy p;
	try {
		p = mfpo::policy::load(path);
	} catch (const mfpo::error &e) {
		throw failure(path + ": cannot load the policy: " + e.what() + " (status " + std::to_string(e.status()) +
		              ", " + mfpo_errstr(e.status()) + ")");
	}
	const auto [obs_dim, act_dim] = p.dims();

	std::vector<float> obs;
	const std::size_t rows = read_rows(std::cin, obs_dim, obs);
	std::vector<float> act(rows * act_dim);
	p.act(obs.data(), obs.size(), rows, act.data(), act.size(), m, seed);

	std::string out;
	char word[16];
	for (std::size_t i = 0; i < rows; i++) {
		for (std::size_t j = 0; j < act_dim; j++) {
			std::uint32_t bits;
			std::memcpy(&bits, &act[i * act_dim + j], sizeof bits);
			std::snprintf(word, sizeof word, "%s%08" PRIx32, j ? " " : "", bits);
			out += word;
		}
		out += '\n';
	}
	if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
		throw failure(std::string("writing stdout failed: ") + std::strerror(errno));
	return 0;
}

} // namespace

int main(int argc, char **argv) {
	try {
		return run(argc, argv);
	} catch (const mfpo::error &e) {
		std::fprintf(stderr, "act_tool: %s (status %d, %s)\n", e.what(), e.status(), mfpo_errstr(e.status()));
	} catch (const std::exception &e) {
		std::fprintf(stderr, "act_tool: %s\n", e.what());
	}
	return 2;
}
