// deploy: the C++ deployment path of mfpo. It loads a policy from a
// checkpoint (trained in Python, Go or C++ on Pendulum: obs 3, act 1 in
// torque units) or, without one, trains one here, briefly, on a pendulum
// written in C++ (mfpo::agent: explore, store, update); then it runs a
// control loop with the immutable, thread-safe mfpo::policy and prints the
// returns and the per-action latency percentiles (p50, p90, p99).
//
//   make examples-cpp && build/examples/deploy [--checkpoint FILE] [--save FILE]
//        [--train-steps 5000] [--episodes 5] [--mode best_of_n|sample|deterministic] [--seed 1]
//
// --save writes the trained agent's policy checkpoint, which --checkpoint
// (or mfpo.MFPO.load in Python) reads back.
//
// The pendulum is Gymnasium's Pendulum-v1: state (θ, θdot), θ = 0 upright,
// observation (cos θ, sin θ, θdot), torque u ∈ [−2, 2] (the action, in the
// environment's units: the agent is created with these bounds and maps its
// [−1, 1] onto them), reward −(θ² + 0.1·θdot² + 0.001·u²) with θ wrapped to
// [−π, π), 200 steps per episode. A random policy scores about −1200;
// swinging up and balancing scores above −200.
#include "mfpo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct pendulum {
	static constexpr double max_speed = 8, max_torque = 2, dt = 0.05, g = 10, m = 1, l = 1;
	static constexpr int max_steps = 200;
	double theta = 0, theta_dot = 0;
	int steps = 0;

	std::vector<float> obs() const {
		return {static_cast<float>(std::cos(theta)), static_cast<float>(std::sin(theta)),
		        static_cast<float>(theta_dot)};
	}
	std::vector<float> reset(std::mt19937_64 &rng) {
		std::uniform_real_distribution<double> u(-1, 1);
		theta = M_PI * u(rng);
		theta_dot = u(rng);
		steps = 0;
		return obs();
	}
	// step applies the torque (clipped to [−2, 2]); returns the reward and
	// whether the episode is over (truncated: Pendulum never terminates).
	double step(float torque, bool &truncated) {
		const double u = std::clamp(static_cast<double>(torque), -max_torque, max_torque);
		const double th = std::remainder(theta, 2 * M_PI); // [−π, π]
		const double reward = -(th * th + 0.1 * theta_dot * theta_dot + 0.001 * u * u);
		theta_dot += (3 * g / (2 * l) * std::sin(theta) + 3 / (m * l * l) * u) * dt;
		theta_dot = std::clamp(theta_dot, -max_speed, max_speed);
		theta += theta_dot * dt;
		truncated = ++steps >= max_steps;
		return reward;
	}
};

struct options {
	std::string checkpoint, save;
	long train_steps = 5000;
	int episodes = 5;
	mfpo::mode mode = mfpo::mode::best_of_n;
	std::uint64_t seed = 1;
};

options parse(int argc, char **argv) {
	options o;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
		if (a == "--checkpoint" && v)
			o.checkpoint = argv[++i];
		else if (a == "--save" && v)
			o.save = argv[++i];
		else if (a == "--train-steps" && v)
			o.train_steps = std::atol(argv[++i]);
		else if (a == "--episodes" && v)
			o.episodes = std::atoi(argv[++i]);
		else if (a == "--seed" && v)
			o.seed = std::strtoull(argv[++i], nullptr, 10);
		else if (a == "--mode" && v) {
			const std::string m = argv[++i];
			o.mode = m == "sample" ? mfpo::mode::sample
			         : m == "deterministic" ? mfpo::mode::deterministic
			                                : mfpo::mode::best_of_n;
		} else {
			std::fprintf(stderr,
			             "usage: deploy [--checkpoint FILE] [--save FILE] [--train-steps N] [--episodes E] "
			             "[--mode best_of_n|sample|deterministic] [--seed S]\n");
			std::exit(2);
		}
	}
	return o;
}

double percentile(std::vector<double> v, double q) {
	std::sort(v.begin(), v.end());
	return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

// train runs the loop of the paper's §6 for `steps` environment steps:
// explore (uniform until learning_starts), store, one update per step.
mfpo::policy train(const options &o) {
	const std::string config = R"({"preset":"small","seed":)" + std::to_string(o.seed) + "}";
	auto agent = mfpo::agent::create(config, 3, 1, {-2.f}, {2.f});
	std::printf("training: %ld steps on the C++ pendulum, config %s\n", o.train_steps, config.c_str());
	pendulum env;
	std::mt19937_64 rng(o.seed);
	std::vector<float> obs = env.reset(rng), act(1);
	double ret = 0;
	int episode = 0;
	// Updates start after learning_starts transitions (read from the
	// effective config), as in the Go training loop.
	const std::string effective = agent.config();
	const auto key = effective.find("\"learning_starts\":");
	const long learning_starts = key == std::string::npos ? 0 : std::atol(effective.c_str() + key + 18);
	mfpo_stats last = MFPO_STATS_INIT;
	const auto t0 = std::chrono::steady_clock::now();
	for (long s = 0; s < o.train_steps; s++) {
		agent.act(obs, act, mfpo::mode::explore);
		bool truncated = false;
		const double r = env.step(act[0], truncated);
		std::vector<float> next = env.obs();
		agent.store(obs, act, static_cast<float>(r), next, false);
		ret += r;
		obs = next;
		if (s + 1 >= learning_starts)
			last = agent.update(1);
		if (truncated) {
			if (++episode % 5 == 0) {
				const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
				std::printf("  step %6ld  episode %3d  return %8.1f  updates %6lld  alpha %.4f  (%.0f s)\n", s + 1,
				            episode, ret, static_cast<long long>(last.updates), last.alpha, secs);
			}
			ret = 0;
			obs = env.reset(rng);
		}
	}
	if (!o.save.empty()) {
		agent.save(o.save, mfpo::save_kind::policy);
		std::printf("saved the policy checkpoint %s\n", o.save.c_str());
	}
	return agent.policy(); // an immutable copy; the agent is freed here
}

} // namespace

int main(int argc, char **argv) {
	const options o = parse(argc, argv);
	std::printf("libmfpo %s\n", mfpo::build_info().c_str());
	try {
		mfpo::policy policy;
		if (!o.checkpoint.empty()) {
			policy = mfpo::policy::load(o.checkpoint);
			std::printf("loaded %s: obs %zu, act %zu\n", o.checkpoint.c_str(), policy.obs_dim(), policy.act_dim());
			if (policy.obs_dim() != 3 || policy.act_dim() != 1) {
				std::fprintf(stderr, "deploy: the pendulum needs a policy with obs 3 and act 1\n");
				return 1;
			}
		} else {
			policy = train(o);
		}

		// The control loop: one observation per step, actions in torque units.
		pendulum env;
		std::mt19937_64 rng(o.seed + 1000);
		std::vector<double> latency_us;
		std::vector<float> act(1);
		double total = 0;
		std::printf("\ncontrol loop: %d episodes of %d steps\n", o.episodes, pendulum::max_steps);
		for (int e = 0; e < o.episodes; e++) {
			std::vector<float> obs = env.reset(rng);
			double ret = 0;
			bool done = false;
			for (std::uint64_t t = 0; !done; t++) {
				const auto t0 = std::chrono::steady_clock::now();
				policy.act(obs, act, o.mode, o.seed * 1000003 + t);
				latency_us.push_back(
				    std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
				ret += env.step(act[0], done);
				obs = env.obs();
			}
			std::printf("  episode %d: return %8.1f\n", e + 1, ret);
			total += ret;
		}
		std::printf("mean return %.1f (random: about -1200; swung up and balanced: above -200)\n",
		            total / o.episodes);
		std::printf("per-action latency over %zu actions: p50 %.1f us, p90 %.1f us, p99 %.1f us\n",
		            latency_us.size(), percentile(latency_us, 0.5), percentile(latency_us, 0.9),
		            percentile(latency_us, 0.99));
	} catch (const mfpo::error &e) {
		std::fprintf(stderr, "deploy: %s (status %d)\n", e.what(), e.status());
		return 1;
	}
	return 0;
}
