// mfpo.hpp — a header-only C++17 wrapper of mfpo.h (libmfpo.so).
//
// The same library, with RAII and exceptions: mfpo::agent and mfpo::policy
// own their handle (move-only; the destructor frees it), and every failing
// call throws mfpo::error carrying the mfpo.h status code and the message
// of mfpo_errmsg. Arrays go in and out as pointer + length or as any
// contiguous range of float (std::vector<float>, std::array, C++20
// std::span<const float>, ...); the number of rows is the range's length
// divided by the handle's width. The threading rules are mfpo.h's: one
// mfpo::policy may act from many threads at once.
//
//   mfpo::agent a = mfpo::agent::create(R"({"preset":"small"})", 3, 1, {-2.f}, {2.f});
//   std::vector<float> act = a.act(obs, mfpo::mode::explore);
//   a.store(obs, act, reward, next_obs, terminated);
//   mfpo_stats st = a.update(1);
//   mfpo::policy p = a.policy();            // an immutable copy, thread-safe
//   p.act(obs, act_out, mfpo::mode::sample, seed);
//   a.save("agent.mfpo");                   // and agent::load, policy::load(path)
#ifndef MFPO_HPP
#define MFPO_HPP

#include "mfpo.h"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mfpo {

// error is thrown by every wrapper call that fails: status() is the MFPO_E*
// code of mfpo.h, what() the library's message (or mfpo_errstr(status)).
class error : public std::runtime_error {
public:
	error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
	int status() const noexcept { return status_; }

private:
	int status_;
};

// Acting modes (mfpo.h's MFPO_ACT_*).
enum class mode : int {
	sample = MFPO_ACT_SAMPLE,
	deterministic = MFPO_ACT_DETERMINISTIC,
	best_of_n = MFPO_ACT_BEST_OF_N,
	explore = MFPO_ACT_EXPLORE, // agents only
};

// What agent::save writes (mfpo.h's MFPO_SAVE_*).
enum class save_kind : unsigned {
	full = MFPO_SAVE_FULL,     // everything training needs, without the replay buffer
	replay = MFPO_SAVE_REPLAY, // full, with the replay buffer: training resumes bit for bit
	policy = MFPO_SAVE_POLICY, // config, bounds, the policy and the target critics
};

inline std::string version() { return mfpo_version(); }
inline std::string build_info() { return mfpo_build_info(); }

namespace detail {

// check throws mfpo::error unless status is MFPO_OK. It runs right after
// the call, on the same thread, so mfpo_errmsg(handle) is that call's.
inline void check(int status, const void *handle) {
	if (status == MFPO_OK)
		return;
	const char *m = mfpo_errmsg(handle);
	throw error(status, (m && *m) ? std::string(m) : std::string(mfpo_errstr(status)));
}

// A contiguous range of T: std::data(r) converts to T*.
template <class R, class T, class = void> struct is_range_of : std::false_type {};
template <class R, class T>
struct is_range_of<R, T,
                   std::void_t<decltype(std::data(std::declval<R &>())), decltype(std::size(std::declval<R &>()))>>
    : std::is_convertible<decltype(std::data(std::declval<R &>())), T *> {};
template <class R, class T>
using if_range_of = std::enable_if_t<is_range_of<std::remove_reference_t<R>, T>::value, int>;

// rows_of: the rows of n elements of width w, at least 1 so that a length
// that is not a whole number of rows reaches the library's shape check.
inline std::size_t rows_of(std::size_t n, std::size_t w) { return w == 0 || n < w ? 1 : n / w; }

// fill reads a buffer by mfpo.h's size-query rules into a std::string
// (text, NUL dropped) or a std::vector<unsigned char> (bytes).
template <class Out, class F> Out fill(F &&call, const void *handle, bool text) {
	std::size_t needed = 0;
	check(call(nullptr, 0, &needed), handle);
	Out out(needed, 0);
	for (;;) {
		int s = call(static_cast<void *>(out.data()), out.size(), &needed);
		if (s == MFPO_ESIZE) { // grew between the calls
			out.resize(needed);
			continue;
		}
		check(s, handle);
		out.resize(text && needed > 0 ? needed - 1 : needed);
		return out;
	}
}

} // namespace detail

// policy owns an mfpo_policy: an immutable, thread-safe acting policy. Any
// number of threads may call act on one policy at once.
class policy {
public:
	policy() noexcept = default;
	// Adopts p: the policy frees it.
	explicit policy(mfpo_policy *p) noexcept : p_(p) {}
	~policy() { reset(); }
	policy(policy &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
	policy &operator=(policy &&o) noexcept {
		if (this != &o) {
			reset();
			p_ = std::exchange(o.p_, nullptr);
		}
		return *this;
	}
	policy(const policy &) = delete;
	policy &operator=(const policy &) = delete;

	// load: the policy of a checkpoint file of either kind.
	static policy load(const std::string &path) {
		mfpo_policy *p = nullptr;
		detail::check(mfpo_policy_load(&p, path.c_str()), nullptr);
		return policy(p);
	}
	// load_buffer: the same from bytes in memory (not kept).
	static policy load_buffer(const void *data, std::size_t len) {
		mfpo_policy *p = nullptr;
		detail::check(mfpo_policy_load_buffer(&p, data, len), nullptr);
		return policy(p);
	}
	template <class R, detail::if_range_of<const R, const unsigned char> = 0> static policy load_buffer(const R &bytes) {
		return load_buffer(std::data(bytes), std::size(bytes));
	}

	mfpo_policy *get() const noexcept { return p_; }
	mfpo_policy *release() noexcept { return std::exchange(p_, nullptr); }
	explicit operator bool() const noexcept { return p_ != nullptr; }
	void reset() noexcept {
		if (p_)
			mfpo_policy_free(std::exchange(p_, nullptr));
	}

	std::size_t obs_dim() const { return dims().first; }
	std::size_t act_dim() const { return dims().second; }
	std::pair<std::size_t, std::size_t> dims() const {
		std::size_t o = 0, a = 0;
		detail::check(mfpo_policy_dims(p_, &o, &a), p_);
		return {o, a};
	}

	// act: rows observations (obs_len = rows x obs_dim) to actions in the
	// environment's units (act_cap >= rows x act_dim).
	void act(const float *obs, std::size_t obs_len, std::size_t rows, float *act, std::size_t act_cap,
	         mode m = mode::sample, std::uint64_t seed = 0) const {
		detail::check(mfpo_policy_act(p_, obs, obs_len, rows, static_cast<int>(m), seed, act, act_cap), p_);
	}
	// act on contiguous ranges; rows = size(obs) / obs_dim.
	template <class Obs, class Act, detail::if_range_of<const Obs, const float> = 0,
	          detail::if_range_of<Act, float> = 0>
	void act(const Obs &obs, Act &&out, mode m = mode::sample, std::uint64_t seed = 0) const {
		const std::size_t n = std::size(obs);
		act(std::data(obs), n, detail::rows_of(n, obs_dim()), std::data(out), std::size(out), m, seed);
	}
	// act returning a new vector of rows x act_dim actions.
	template <class Obs, detail::if_range_of<const Obs, const float> = 0>
	std::vector<float> act(const Obs &obs, mode m = mode::sample, std::uint64_t seed = 0) const {
		auto [o, a] = dims();
		const std::size_t n = std::size(obs), rows = detail::rows_of(n, o);
		std::vector<float> out(rows * a);
		act(std::data(obs), n, rows, out.data(), out.size(), m, seed);
		return out;
	}

	// config: the JSON config.
	std::string config() const {
		return detail::fill<std::string>(
		    [this](void *b, std::size_t c, std::size_t *n) {
			    return mfpo_policy_config(p_, static_cast<char *>(b), c, n);
		    },
		    p_, true);
	}

private:
	mfpo_policy *p_ = nullptr;
};

// agent owns an mfpo_agent: a learner. Calls on one agent are serialised by
// the library.
class agent {
public:
	agent() noexcept = default;
	// Adopts a: the agent frees it.
	explicit agent(mfpo_agent *a) noexcept : a_(a) {}
	~agent() { reset(); }
	agent(agent &&o) noexcept : a_(std::exchange(o.a_, nullptr)) {}
	agent &operator=(agent &&o) noexcept {
		if (this != &o) {
			reset();
			a_ = std::exchange(o.a_, nullptr);
		}
		return *this;
	}
	agent(const agent &) = delete;
	agent &operator=(const agent &) = delete;

	// create: config_json as mfpo_agent_create reads it ("" or "{}": the
	// paper's defaults); low and high: act_dim bounds each, or both empty
	// for [-1, 1].
	static agent create(const std::string &config_json, std::size_t obs_dim, std::size_t act_dim,
	                    const std::vector<float> &low = {}, const std::vector<float> &high = {}) {
		if ((!low.empty() && low.size() != act_dim) || (!high.empty() && high.size() != act_dim))
			throw error(MFPO_EINVAL, "mfpo::agent::create: low and high need act_dim = " + std::to_string(act_dim) +
			                             " elements each, have " + std::to_string(low.size()) + " and " +
			                             std::to_string(high.size()));
		mfpo_agent *a = nullptr;
		detail::check(mfpo_agent_create(&a, config_json.empty() ? nullptr : config_json.c_str(), obs_dim, act_dim,
		                                low.empty() ? nullptr : low.data(), high.empty() ? nullptr : high.data()),
		              nullptr);
		return agent(a);
	}

	// load: an agent from a full checkpoint file; it continues exactly.
	static agent load(const std::string &path) {
		mfpo_agent *a = nullptr;
		detail::check(mfpo_agent_load(&a, path.c_str()), nullptr);
		return agent(a);
	}
	// load_buffer: the same from bytes in memory (not kept).
	static agent load_buffer(const void *data, std::size_t len) {
		mfpo_agent *a = nullptr;
		detail::check(mfpo_agent_load_buffer(&a, data, len), nullptr);
		return agent(a);
	}
	template <class R, detail::if_range_of<const R, const unsigned char> = 0> static agent load_buffer(const R &bytes) {
		return load_buffer(std::data(bytes), std::size(bytes));
	}

	mfpo_agent *get() const noexcept { return a_; }
	mfpo_agent *release() noexcept { return std::exchange(a_, nullptr); }
	explicit operator bool() const noexcept { return a_ != nullptr; }
	void reset() noexcept {
		if (a_)
			mfpo_agent_free(std::exchange(a_, nullptr));
	}

	std::size_t obs_dim() const { return dims().first; }
	std::size_t act_dim() const { return dims().second; }
	std::pair<std::size_t, std::size_t> dims() const {
		std::size_t o = 0, a = 0;
		detail::check(mfpo_agent_dims(a_, &o, &a), a_);
		return {o, a};
	}
	// updates and stored transitions so far.
	std::pair<std::int64_t, std::int64_t> counters() const {
		std::int64_t u = 0, s = 0;
		detail::check(mfpo_agent_counters(a_, &u, &s), a_);
		return {u, s};
	}

	void act(const float *obs, std::size_t obs_len, std::size_t rows, float *act, std::size_t act_cap,
	         mode m = mode::sample, std::uint64_t seed = 0) {
		detail::check(mfpo_agent_act(a_, obs, obs_len, rows, static_cast<int>(m), seed, act, act_cap), a_);
	}
	template <class Obs, class Act, detail::if_range_of<const Obs, const float> = 0,
	          detail::if_range_of<Act, float> = 0>
	void act(const Obs &obs, Act &&out, mode m = mode::sample, std::uint64_t seed = 0) {
		const std::size_t n = std::size(obs);
		act(std::data(obs), n, detail::rows_of(n, obs_dim()), std::data(out), std::size(out), m, seed);
	}
	template <class Obs, detail::if_range_of<const Obs, const float> = 0>
	std::vector<float> act(const Obs &obs, mode m = mode::sample, std::uint64_t seed = 0) {
		auto [o, a] = dims();
		const std::size_t n = std::size(obs), rows = detail::rows_of(n, o);
		std::vector<float> out(rows * a);
		act(std::data(obs), n, rows, out.data(), out.size(), m, seed);
		return out;
	}

	// store: rows transitions (actions in the environment's units).
	void store(std::size_t rows, const float *obs, std::size_t obs_len, const float *act, std::size_t act_len,
	           const float *reward, const float *next_obs, std::size_t next_obs_len, const std::uint8_t *terminated) {
		detail::check(
		    mfpo_agent_store(a_, rows, obs, obs_len, act, act_len, reward, next_obs, next_obs_len, terminated), a_);
	}
	// store on contiguous ranges: rows = size(reward), which must equal
	// size(terminated).
	template <class O, class A, class R, class N, class T, detail::if_range_of<const O, const float> = 0,
	          detail::if_range_of<const A, const float> = 0, detail::if_range_of<const R, const float> = 0,
	          detail::if_range_of<const N, const float> = 0, detail::if_range_of<const T, const std::uint8_t> = 0>
	void store(const O &obs, const A &act, const R &reward, const N &next_obs, const T &terminated) {
		if (std::size(reward) != std::size(terminated))
			throw error(MFPO_ESHAPE, "mfpo::agent::store: " + std::to_string(std::size(reward)) + " rewards and " +
			                             std::to_string(std::size(terminated)) + " terminated flags");
		store(std::size(reward), std::data(obs), std::size(obs), std::data(act), std::size(act), std::data(reward),
		      std::data(next_obs), std::size(next_obs), std::data(terminated));
	}
	// store one transition; obs and next_obs have obs_dim floats, act act_dim.
	template <class O, class A, class N, detail::if_range_of<const O, const float> = 0,
	          detail::if_range_of<const A, const float> = 0, detail::if_range_of<const N, const float> = 0>
	void store(const O &obs, const A &act, float reward, const N &next_obs, bool terminated) {
		const std::uint8_t t = terminated ? 1 : 0;
		store(1, std::data(obs), std::size(obs), std::data(act), std::size(act), &reward, std::data(next_obs),
		      std::size(next_obs), &t);
	}

	// update: steps updates; the means of their figures.
	mfpo_stats update(std::uint32_t steps = 1) {
		mfpo_stats st = MFPO_STATS_INIT;
		detail::check(mfpo_agent_update(a_, steps, &st), a_);
		return st;
	}

	std::string config() const {
		return detail::fill<std::string>(
		    [this](void *b, std::size_t c, std::size_t *n) {
			    return mfpo_agent_config(a_, static_cast<char *>(b), c, n);
		    },
		    a_, true);
	}

	// save: a checkpoint file, written atomically. The default kind is every
	// face's: full, without the replay buffer (save_kind::replay to resume
	// training bit for bit).
	void save(const std::string &path, save_kind kind = save_kind::full) const {
		detail::check(mfpo_agent_save(a_, path.c_str(), static_cast<unsigned>(kind)), a_);
	}
	// save_buffer: the checkpoint's bytes.
	std::vector<unsigned char> save_buffer(save_kind kind = save_kind::full) const {
		return detail::fill<std::vector<unsigned char>>(
		    [this, kind](void *b, std::size_t c, std::size_t *n) {
			    return mfpo_agent_save_buffer(a_, static_cast<unsigned>(kind), b, c, n);
		    },
		    a_, false);
	}

	// policy: an immutable copy of the current policy and target critics.
	mfpo::policy policy() const {
		mfpo_policy *p = nullptr;
		detail::check(mfpo_agent_policy(a_, &p), a_);
		return mfpo::policy(p);
	}

private:
	mfpo_agent *a_ = nullptr;
};

} // namespace mfpo

#endif // MFPO_HPP
