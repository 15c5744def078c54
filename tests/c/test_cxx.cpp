// mfpo.hpp: RAII handles, exceptions carrying the status and the message,
// move-only semantics, std::vector / std::array / pointer ranges. Prints one
// line per check and "N passed, M failed".
#include "mfpo.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <unistd.h>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

static int passed, failed;

static void check(bool ok, const std::string &name, const std::string &detail = "") {
	if (ok) {
		passed++;
		std::printf("ok   %s\n", name.c_str());
	} else {
		failed++;
		std::printf("FAIL %s: %s\n", name.c_str(), detail.c_str());
	}
}

// throws_status runs f and checks that it throws mfpo::error with status.
template <class F> static void throws_status(F &&f, int status, const std::string &name) {
	try {
		f();
		check(false, name, "no exception");
	} catch (const mfpo::error &e) {
		std::printf("     %s -> %d: %s\n", name.c_str(), e.status(), e.what());
		check(e.status() == status && std::string(e.what()).size() > 0, name,
		      "status " + std::to_string(e.status()) + ", want " + std::to_string(status));
	} catch (...) {
		check(false, name, "another exception");
	}
}

static const char *tiny = "{\"preset\":\"small\",\"hidden\":[16,16],\"time_features\":4,\"time_width\":8,\"atoms\":11,"
                          "\"v_min\":-50,\"v_max\":50,\"batch_size\":8,\"buffer_size\":1000,\"learning_starts\":0,"
                          "\"eval_candidates\":4,\"policy_samples\":2,\"posterior_samples\":4,\"shards\":1}";

static_assert(!std::is_copy_constructible_v<mfpo::agent> && !std::is_copy_assignable_v<mfpo::agent>,
              "mfpo::agent is move-only");
static_assert(!std::is_copy_constructible_v<mfpo::policy> && !std::is_copy_assignable_v<mfpo::policy>,
              "mfpo::policy is move-only");
static_assert(std::is_nothrow_move_constructible_v<mfpo::agent> &&
                  std::is_nothrow_move_constructible_v<mfpo::policy>,
              "moves do not throw");

int main() {
	check(mfpo::version() == MFPO_VERSION, "version", mfpo::version());
	{
		auto a = mfpo::agent::create(tiny, 3, 1, {-2.f}, {2.f});
		check(bool(a) && a.obs_dim() == 3 && a.act_dim() == 1, "create, dims");

		// A short training run on random transitions: explore, store, update.
		std::vector<float> obs{0.1f, 0.2f, 0.3f}, next(3);
		for (int t = 0; t < 30; t++) {
			std::vector<float> act = a.act(obs, mfpo::mode::explore);
			for (int i = 0; i < 3; i++)
				next[i] = obs[i] * 0.9f + 0.1f * act[0];
			a.store(obs, act, -act[0] * act[0], next, t % 10 == 9);
			obs = next;
		}
		std::vector<float> o3(9, 0.5f), a3{0.5f, -3.f, 1.f}, r3{1, 2, 3}, n3(9, 0.25f);
		std::vector<std::uint8_t> t3{0, 0, 1};
		a.store(o3, a3, r3, n3, t3);
		check(a.counters().second == 33, "store: 30 single and 3 batched", std::to_string(a.counters().second));
		mfpo_stats st = a.update(4);
		check(st.updates == 4 && std::isfinite(st.actor_loss), "update returns the stats");

		// Acting into vectors, arrays and raw buffers, in the box.
		std::array<float, 6> two{0.1f, 0.2f, 0.3f, -0.1f, -0.2f, -0.3f};
		std::array<float, 2> out{};
		a.act(two, out, mfpo::mode::best_of_n, 9);
		check(out[0] >= -2 && out[0] <= 2 && out[1] >= -2 && out[1] <= 2, "act into a std::array");
		std::vector<float> v = a.act(two, mfpo::mode::sample, 9), w = a.act(two, mfpo::mode::sample, 9);
		check(v.size() == 2 && v == w, "act returns a vector; the same seed the same actions");
		float raw[2];
		a.act(two.data(), two.size(), 2, raw, 2, mfpo::mode::deterministic);
		check(std::isfinite(raw[0]) && std::isfinite(raw[1]), "act on raw pointers");

		// Exceptions carry the status and the message.
		throws_status([&] { a.act(std::vector<float>(4, 0.f)); }, MFPO_ESHAPE, "act: 4 floats for obs_dim 3");
		throws_status([&] { a.act(std::vector<float>{0.f, NAN, 0.f}); }, MFPO_ENONFINITE, "act: NaN");
		throws_status([&] { a.act(two, out, static_cast<mfpo::mode>(42)); }, MFPO_EINVAL, "act: unknown mode");
		std::array<float, 1> small{};
		throws_status([&] { a.act(two, small); }, MFPO_ESHAPE, "act: output too small");
		throws_status([&] { a.update(0); }, MFPO_EINVAL, "update: 0 steps");
		throws_status([&] { mfpo::agent::create("{\"nope\":1}", 3, 1); }, MFPO_ECONFIG, "create: unknown key");
		throws_status([&] { mfpo::agent::create(tiny, 3, 2, {-1.f}, {1.f}); }, MFPO_EINVAL,
		              "create: bounds of the wrong length");
		throws_status([&] { a.store(o3, a3, r3, n3, std::vector<std::uint8_t>{0, 1}); }, MFPO_ESHAPE,
		              "store: 3 rewards, 2 flags");
		try {
			a.act(std::vector<float>(4, 0.f));
		} catch (const mfpo::error &e) {
			check(std::string(e.what()).find("obs has 4 floats") != std::string::npos, "the message names the argument",
			      e.what());
		}

		// config round-trip and policies.
		std::string js = a.config();
		check(js.find("\"hidden\":[16,16]") != std::string::npos && js.back() == '}', "config", js);
		mfpo::policy p = a.policy();
		check(p.config() == js, "the policy has the agent's config");
		std::vector<float> pa = p.act(two, mfpo::mode::best_of_n, 5), aa = a.act(two, mfpo::mode::best_of_n, 5);
		check(pa == aa, "the policy acts as the agent");
		throws_status([&] { p.act(two, mfpo::mode::explore); }, MFPO_EINVAL, "policy: explore");

		// Checkpoints: bytes and files, agent and policy.
		{
			std::vector<unsigned char> bytes = a.save_buffer(mfpo::save_kind::replay);
			mfpo::agent a2 = mfpo::agent::load_buffer(bytes);
			check(a2.counters() == a.counters() && a2.act(two, mfpo::mode::best_of_n, 5) == aa,
			      "save_buffer / load_buffer: the same agent");
			mfpo::policy p2 = mfpo::policy::load_buffer(a.save_buffer(mfpo::save_kind::policy));
			check(p2.act(two, mfpo::mode::best_of_n, 5) == aa, "a policy checkpoint acts as the agent");
			const std::string path = "/tmp/mfpo-test-cxx-" + std::to_string(::getpid()) + ".mfpo";
			a.save(path, mfpo::save_kind::policy);
			check(mfpo::policy::load(path).act(two, mfpo::mode::best_of_n, 5) == aa, "policy::load from a file");
			throws_status([&] { mfpo::agent::load(path); }, MFPO_EFORMAT, "agent::load of a policy checkpoint");
			std::remove(path.c_str());
			throws_status([&] { mfpo::agent::load(path); }, MFPO_EIO, "agent::load of a missing file");
			bytes.resize(bytes.size() / 2);
			throws_status([&] { mfpo::policy::load_buffer(bytes); }, MFPO_EFORMAT, "policy::load_buffer: truncated");
		}

		// Moves transfer ownership; the moved-from handle is empty.
		mfpo::policy q = std::move(p);
		check(!p && bool(q), "move construction");
		throws_status([&] { p.act(two); }, MFPO_EHANDLE, "act on a moved-from policy");
		mfpo::policy r;
		r = std::move(q);
		check(!q && bool(r) && r.act(two, mfpo::mode::best_of_n, 5) == pa, "move assignment");
		mfpo::agent b = std::move(a);
		check(!a && bool(b) && b.act_dim() == 1, "agent move");
		throws_status([&] { a.counters(); }, MFPO_EHANDLE, "counters on a moved-from agent");

		// Threads acting on one policy.
		std::vector<std::thread> ts;
		std::vector<int> same(4, 0);
		for (int k = 0; k < 4; k++)
			ts.emplace_back([&, k] {
				int ok = 1;
				for (int i = 0; i < 500; i++)
					ok &= r.act(two, mfpo::mode::best_of_n, 5) == pa;
				same[k] = ok;
			});
		for (auto &t : ts)
			t.join();
		check(same == std::vector<int>(4, 1), "4 threads act on one mfpo::policy");

		// release hands the handle over; the caller frees it.
		mfpo_policy *raw_p = r.release();
		check(!r && raw_p != nullptr && mfpo_policy_free(raw_p) == MFPO_OK, "release");
		check(mfpo_debug_live_handles() == 1, "one live handle (the agent)",
		      std::to_string(mfpo_debug_live_handles()));
	}
	check(mfpo_debug_live_handles() == 0, "destructors free every handle", std::to_string(mfpo_debug_live_handles()));
	std::printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
