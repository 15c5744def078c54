// bench_act: single-observation act latency through libmfpo.so from C++
// (`make bench-capi`). HalfCheetah sizes (obs 17, act 6), the paper's
// networks (3 × 256, T = 2), one thread; per-call times with
// std::chrono::steady_clock, median / p90 / p99 over many calls. The cost of
// crossing the ABI is measured apart, as the time of trivial exports:
// mfpo_version (no arguments) and mfpo_policy_dims (a handle looked up, two
// outputs written) — everything an act call pays besides the Go-side work.
//
// Usage: bench_act [--smoke] [CHECKPOINT]  (a checkpoint of a 17 → 6 agent;
// without one, a fresh paper-default agent's policy: the latency does not
// depend on the parameters' values). --smoke: a hundredth of the calls, in
// well under a second (`make bench-smoke`: it checks that the program runs;
// its numbers mean nothing).
#include "mfpo.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using clk = std::chrono::steady_clock;

struct summary {
	double median, p90, p99;
};

static summary summarise(std::vector<double> v) {
	std::sort(v.begin(), v.end());
	auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
	return {at(0.5), at(0.9), at(0.99)};
}

// per_call_ns times f in batches of `inner` calls (so that the clock's own
// cost is spread out) and returns the median ns per call over the batches.
template <class F> static double per_call_ns(F &&f, int batches, int inner) {
	std::vector<double> t;
	for (int b = 0; b < batches; b++) {
		auto t0 = clk::now();
		for (int i = 0; i < inner; i++)
			f();
		t.push_back(std::chrono::duration<double, std::nano>(clk::now() - t0).count() / inner);
	}
	return summarise(t).median;
}

int main(int argc, char **argv) {
	const std::size_t obs_dim = 17, act_dim = 6;
	int scale = 1; // every count below is divided by it
	const char *path = nullptr;
	for (int i = 1; i < argc; i++) {
		if (std::strcmp(argv[i], "--smoke") == 0)
			scale = 100;
		else if (argv[i][0] == '-' || path != nullptr) {
			std::fprintf(stderr, "usage: bench_act [--smoke] [CHECKPOINT]\n");
			return 2;
		} else
			path = argv[i];
	}
	mfpo::policy p;
	std::string source;
	if (path != nullptr) {
		p = mfpo::policy::load(path);
		if (p.obs_dim() != obs_dim || p.act_dim() != act_dim) {
			std::fprintf(stderr, "bench_act: %s has obs %zu, act %zu; the benchmark is for obs 17, act 6\n", path,
			             p.obs_dim(), p.act_dim());
			return 2;
		}
		source = std::string("checkpoint ") + path;
	} else {
		// The paper's networks; a small replay buffer, which acting does not use.
		auto a = mfpo::agent::create(R"({"buffer_size":1000})", obs_dim, act_dim);
		p = a.policy();
		source = "a fresh paper-default agent";
	}
	std::printf("libmfpo %s; %s\n", mfpo_version(), mfpo_build_info());
	std::printf("policy: %s, obs %zu, act %zu, one thread\n\n", source.c_str(), obs_dim, act_dim);

	// The ABI crossing.
	std::size_t o = 0, d = 0;
	volatile const char *sink = nullptr;
	const int batches = 200, inner = 10000 / scale;
	const double version_ns = per_call_ns([&] { sink = mfpo_version(); }, batches, inner);
	const double dims_ns = per_call_ns([&] { mfpo_policy_dims(p.get(), &o, &d); }, batches, inner);
	const double clock_ns = per_call_ns([&] { (void)clk::now(); }, batches, inner);
	(void)sink;
	std::printf("ABI crossing (median of %d batches of %d calls):\n", batches, inner);
	std::printf("  mfpo_version                %7.1f ns\n", version_ns);
	std::printf("  mfpo_policy_dims            %7.1f ns   (handle lookup + outputs)\n", dims_ns);
	std::printf("  steady_clock::now           %7.1f ns   (in each per-call time below)\n\n", clock_ns);

	std::vector<float> obs(obs_dim), act(act_dim);
	for (std::size_t i = 0; i < obs_dim; i++)
		obs[i] = 0.1f * static_cast<float>(i) - 0.8f;
	struct {
		const char *name;
		mfpo::mode mode;
		int calls;
	} runs[] = {{"sample", mfpo::mode::sample, 20000 / scale},
	            {"deterministic", mfpo::mode::deterministic, 20000 / scale},
	            {"best-of-N (N = 10)", mfpo::mode::best_of_n, 2000 / scale}};
	std::printf("mfpo_policy_act, one observation (per call):\n");
	summary sample{};
	for (auto &r : runs) {
		for (int i = 0; i < r.calls / 10; i++) // warm up
			p.act(obs.data(), obs_dim, 1, act.data(), act_dim, r.mode, static_cast<std::uint64_t>(i));
		std::vector<double> t(r.calls);
		for (int i = 0; i < r.calls; i++) {
			auto t0 = clk::now();
			p.act(obs.data(), obs_dim, 1, act.data(), act_dim, r.mode, static_cast<std::uint64_t>(i));
			t[i] = std::chrono::duration<double, std::micro>(clk::now() - t0).count();
		}
		summary s = summarise(t);
		if (r.mode == mfpo::mode::sample)
			sample = s;
		std::printf("  %-20s median %8.2f us   p90 %8.2f us   p99 %8.2f us   (%d calls)\n", r.name, s.median, s.p90,
		            s.p99, r.calls);
	}
	const double crossing_us = dims_ns / 1000;
	std::printf("\nsample: median %.2f us, of which the ABI crossing is ~%.3f us (%.1f%%); p99 %.2f us\n",
	            sample.median, crossing_us, 100 * crossing_us / sample.median, sample.p99);
	std::printf("targets: median <= 10 us: %s; crossing <= 1 us: %s\n", sample.median <= 10 ? "met" : "NOT met",
	            crossing_us <= 1 ? "met" : "NOT met");
	return 0;
}
