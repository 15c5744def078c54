/*
 * mfpo.h — the C interface of mfpo (libmfpo.so).
 *
 * This hand-written header is the whole contract of the library. The header
 * that `go build -buildmode=c-shared` generates (build/libmfpo.h) is a build
 * artefact and is not shipped. docs/capi.md explains it in prose; mfpo.hpp
 * wraps it for C++17 (RAII handles, exceptions).
 *
 * Linking: cc -I<dir of mfpo.h> prog.c -L<dir of libmfpo.so> -lmfpo
 * (add -Wl,-rpath,<dir> or set LD_LIBRARY_PATH to run it), or
 * `pkg-config --cflags --libs mfpo`, or CMake's find_package(mfpo) and the
 * target mfpo::mfpo. The library exports only the mfpo_* symbols declared
 * here.
 *
 * CONVENTIONS (every function below follows them)
 *
 *  - Status. Functions that can fail return an int status: MFPO_OK (0) or
 *    one of the MFPO_E* codes below. The codes are fixed: a number is never
 *    renumbered or reused, new codes are only appended. mfpo_errstr(code)
 *    names a code; mfpo_errmsg(handle) gives the message of the failure.
 *  - Outputs. Pointer arguments named out, act, stats, buf, needed, ... are
 *    written only when the function returns MFPO_OK. The one exception is
 *    `needed` of the size-query functions, also written with MFPO_ESIZE
 *    (see "Buffers that the library fills" below).
 *  - Caller's memory. Arrays are caller-owned, contiguous, row-major
 *    float32 with an explicit length in elements (`*_len` for inputs,
 *    `*_cap` for outputs). The library reads or writes them only during the
 *    call and never keeps a caller's pointer.
 *  - Handles. mfpo_agent and mfpo_policy are opaque: a handle is a token
 *    for an object inside the library, not an address; never dereference
 *    it. A NULL, freed, or made-up handle, or a handle of the other kind,
 *    gives MFPO_EHANDLE, never a crash. A handle's value is never reused
 *    within a process, so a stale handle can not reach a newer object.
 *    Every handle must be freed with its *_free function, which accepts
 *    NULL (MFPO_OK) and returns MFPO_EHANDLE for a handle already freed.
 *  - Panics. An internal error (a bug) never unwinds into the caller: the
 *    function returns MFPO_EPANIC with a message. The handle involved may
 *    then be in an unspecified (but memory-safe) state; free it.
 *  - Units. An agent acts in [-1, 1]^act_dim internally; actions crossing
 *    this interface are in the environment's units, mapped with the bounds
 *    given at creation: x = low + (a + 1)/2 * (high - low).
 *
 * THREADING
 *
 *  - Every function may be called from any thread.
 *  - A policy handle (mfpo_policy) is immutable: any number of threads may
 *    call mfpo_policy_act (and the other mfpo_policy_* readers) on the
 *    same handle at once; the calls run in parallel, each with its own
 *    scratch memory.
 *  - An agent handle (mfpo_agent) is mutable: calls on the same agent from
 *    several threads are safe but serialised by a lock inside the library
 *    (a long mfpo_agent_update delays an act on the same agent). Different
 *    agents are independent.
 *  - Freeing a handle while another thread still uses it is a logic error
 *    but stays memory-safe: a call already running completes, and any call
 *    that starts after the free returns MFPO_EHANDLE.
 *  - Error messages are thread-local (see mfpo_errmsg).
 *  - The library carries a Go runtime: load only one Go-built library per
 *    process, and do not call into it in the child after fork().
 *
 * BUFFERS THAT THE LIBRARY FILLS (size queries)
 *
 *  Functions with (buf, cap, needed) write a variable amount of data into
 *  a caller's buffer of cap bytes:
 *   - buf == NULL and cap == 0: nothing is written to buf; *needed is set
 *     to the size the data needs; MFPO_OK.
 *   - cap < the size needed: MFPO_ESIZE; *needed is set; buf is untouched.
 *   - otherwise: the data is written, *needed is set to the bytes written;
 *     MFPO_OK.
 *  needed may be NULL only when buf is given.
 */
#ifndef MFPO_H
#define MFPO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. mfpo_version() gives the library's version;
 * the two differ only when a program runs against another build than it was
 * compiled with. */
#define MFPO_VERSION "0.1.0"
#define MFPO_VERSION_MAJOR 0
#define MFPO_VERSION_MINOR 1
#define MFPO_VERSION_PATCH 0

/* ------------------------------------------------------------------------
 * Status codes. Fixed numbers, never renumbered or reused; new codes are
 * only appended. docs/capi.md lists which misuse returns which code.
 * ------------------------------------------------------------------------ */
#define MFPO_OK 0         /* success */
#define MFPO_EINVAL 1     /* invalid argument: a required pointer is NULL, rows or steps is 0, an unknown mode, invalid action bounds */
#define MFPO_ECONFIG 2    /* the JSON config is invalid: syntax, an unknown key, a wrong type, a value out of range */
#define MFPO_ESHAPE 3     /* an array's length does not match the shapes (rows x obs_dim, rows x act_dim) */
#define MFPO_ENONFINITE 4 /* a NaN or an infinity in an observation, action or reward; nothing was changed */
#define MFPO_ENODATA 5    /* an update before batch_size transitions were stored */
#define MFPO_EUPDATE 6    /* an update was abandoned on a non-finite loss or gradient; the agent was restored to its state before that update */
#define MFPO_EHANDLE 7    /* a NULL, freed or unknown handle, or a handle of the other kind */
#define MFPO_EIO 8        /* a file could not be opened, read, written or renamed */
#define MFPO_EFORMAT 9    /* not a valid checkpoint: truncated, corrupted, foreign, or the wrong kind */
#define MFPO_EPANIC 10    /* an internal error of the library (a bug), recovered; free the handle involved */
#define MFPO_ESIZE 11     /* a caller's buffer is too small; *needed says how large it must be */
#define MFPO_EVERSION 12  /* a checkpoint written in a newer format than this library reads: load it with a newer mfpo */
#define MFPO_ERUNTIME 13  /* another mfpo library with its own Go runtime (mfpo's Python extension) was loaded into the process first: this one makes no handles */

/* Acting modes (the `mode` argument of the *_act functions). */
#define MFPO_ACT_SAMPLE 0        /* one draw of the T-step sampler from noise drawn from `seed` */
#define MFPO_ACT_DETERMINISTIC 1 /* the sampler from noise 0; `seed` is ignored */
#define MFPO_ACT_BEST_OF_N 2     /* eval_candidates draws per observation, the one the target critics value most */
#define MFPO_ACT_EXPLORE 3       /* agents only: uniform in the box until learning_starts transitions are stored, then a sample;
                                  * noise from the agent's own generator (seeded by the config's "seed"), `seed` ignored */

/* What mfpo_agent_save and mfpo_agent_save_buffer write (one of these). */
#define MFPO_SAVE_FULL 0u   /* a full checkpoint: everything training needs, without the replay buffer */
#define MFPO_SAVE_REPLAY 1u /* a full checkpoint with the replay buffer: training resumes bit for bit */
#define MFPO_SAVE_POLICY 2u /* a policy checkpoint: config, bounds, the policy and the target critics */

/* Opaque handles. */
typedef struct mfpo_agent mfpo_agent;   /* a learner: act, store, update, save */
typedef struct mfpo_policy mfpo_policy; /* an immutable, thread-safe acting policy */

/* The figures of an update, means over the updates of one
 * mfpo_agent_update call. The struct only ever grows at its end: set
 * `size` to sizeof(mfpo_stats) (MFPO_STATS_INIT does) and the library
 * writes the fields that fit in `size` bytes, so programs compiled against
 * an older header keep working. */
typedef struct mfpo_stats {
	size_t size;            /* set by the caller: sizeof(mfpo_stats); never written by the library */
	int64_t updates;        /* the agent's successful updates in total, after this call */
	float critic_loss[2];   /* cross-entropy of the two online critics */
	float actor_loss;       /* MeanFlow loss of the policy */
	float adn_loss;         /* loss of the average-divergence network */
	float alpha_loss;       /* temperature loss */
	float alpha;            /* temperature used */
	float entropy;          /* -mean log pi of the policy proposals */
	float ess_policy;       /* mean effective sample size of the policy proposals (of policy_samples) */
	float ess_posterior;    /* of the posterior proposals (of posterior_samples) */
	float mean_q;           /* mean Q of the policy proposals */
} mfpo_stats;

#define MFPO_STATS_INIT {sizeof(mfpo_stats), 0, {0, 0}, 0, 0, 0, 0, 0, 0, 0, 0}

/* ------------------------------------------------------------------------
 * Library
 * ------------------------------------------------------------------------ */

/* mfpo_version returns the library's version, "MAJOR.MINOR.PATCH", as a
 * NUL-terminated string.
 *
 * The string is owned by the library, allocated once, and valid for the life
 * of the process; every call returns the same pointer. Never free it.
 * Returns NULL only on an internal error of the library (a bug).
 * Safe to call from any thread. */
const char *mfpo_version(void);

/* mfpo_build_info returns a JSON object describing this build, e.g.
 *   {"version":"0.1.0","go_version":"go1.26.8","blas":"openblas",
 *    "blas_core":"Haswell","blas_config":"OpenBLAS 0.3.21 …",
 *    "cpu_kernels":"avx2","os":"linux","arch":"amd64","devices":"cpu"}
 * "version" equals mfpo_version(); "blas" names the matrix-product backend
 * ("openblas" or "gonum"), "blas_core" the BLAS kernels this CPU got and
 * "cpu_kernels" mfpo's own vector kernels ("avx512", "avx2" or "go"):
 * results are bit-identical where both are the same
 * (docs/reproducibility.md); "devices" the devices an agent's "device"
 * config key may name ("cpu", or "cpu,cuda" in a build with CUDA). Keys
 * may be added in later versions; none are
 * removed or renamed within a major version.
 *
 * The string is owned by the library, allocated once, and valid for the life
 * of the process; every call returns the same pointer. Never free it.
 * Returns NULL only on an internal error of the library (a bug).
 * Safe to call from any thread. */
const char *mfpo_build_info(void);

/* mfpo_errstr returns the name and a one-line description of a status
 * code, e.g. "MFPO_ESHAPE: an array's length does not match the shapes",
 * or "unknown mfpo status" for a number that is not a code. The string is
 * static; never free it. */
const char *mfpo_errstr(int status);

/* mfpo_errmsg returns the message of the most recent failed call that the
 * calling thread made on `handle` (an mfpo_agent* or mfpo_policy*), e.g.
 * "mfpo_agent_act: obs_len is 5, want rows x obs_dim = 2 x 3 = 6". Calls
 * that take no handle (mfpo_agent_create, the *_load functions) and calls
 * given a NULL handle record their failure under NULL: read it with
 * mfpo_errmsg(NULL).
 *
 * Messages are thread-local, one per thread: the message is the thread's
 * latest failure if that failure was on `handle`, and "" otherwise (also
 * when the thread's latest call on `handle` succeeded after an earlier
 * failure: successful calls do not clear it, so read it right after the
 * failure, as with errno). The string belongs to the calling thread and
 * stays valid until that thread's next mfpo_* call; never free it. Never
 * NULL. Messages are at most 1023 bytes of UTF-8. */
const char *mfpo_errmsg(const void *handle);

/* mfpo_debug_live_handles returns the number of handles (agents and
 * policies) created and not yet freed in this process. A debugging aid,
 * for leak checks in tests; not for control flow. */
size_t mfpo_debug_live_handles(void);

/* The memory limit (docs/limits.md): creating or loading an agent or a
 * policy, and each call on one, is estimated before anything is
 * allocated, and an estimate over the limit is MFPO_ESIZE, naming the
 * config key (or argument) and the bytes, with nothing changed. An
 * agent's config key "max_bytes" sets its own limit; this is the
 * process's, for everything else. mfpo_set_memory_limit sets it to bytes
 * (bytes <= 0: the default, three quarters of the machine's or the
 * cgroup's memory) and returns the limit before; mfpo_memory_limit
 * returns it. Safe to call from any thread. */
int64_t mfpo_set_memory_limit(int64_t bytes);
int64_t mfpo_memory_limit(void);

/* ------------------------------------------------------------------------
 * Agents: create, act, store, update
 * ------------------------------------------------------------------------ */

/* mfpo_agent_create makes an agent with fresh networks.
 *
 * config_json: a strict JSON object whose keys are the config fields'
 * snake_case names (docs/capi.md lists them; mfpo_agent_config returns
 * them all), e.g. {"preset":"small","seed":7,"hidden":[64,64]}. The
 * optional "preset" ("paper", the default, or "small") gives the starting
 * values; absent keys keep them. An unknown key, a wrong type, trailing
 * data or an invalid value is MFPO_ECONFIG with a message naming the key.
 * NULL means "{}", the paper's defaults. Beside the config fields, two
 * settings of this process that are never saved: "max_bytes" (below) and
 * "device": "auto" (the default: CUDA in a build with it where a GPU is
 * visible, else the CPU), "cpu" or "cuda"; "cuda" where it cannot be had is
 * MFPO_ECONFIG whose message names what is missing (the build tag cuda, or
 * a visible GPU and the driver's answer; docs/gpu.md).
 *
 * obs_dim, act_dim: the observation and action widths (>= 1).
 * act_low, act_high: act_dim finite bounds each with low < high, in the
 * environment's units; or both NULL for the box [-1, 1]^act_dim.
 * Invalid dimensions or bounds are MFPO_EINVAL.
 *
 * On success *out is the new agent; free it with mfpo_agent_free. Failure
 * messages are read with mfpo_errmsg(NULL). */
int mfpo_agent_create(mfpo_agent **out, const char *config_json, size_t obs_dim, size_t act_dim,
                      const float *act_low, const float *act_high);

/* mfpo_agent_free frees an agent and stops its worker threads. NULL is
 * MFPO_OK; a handle already freed (or unknown) is MFPO_EHANDLE. */
int mfpo_agent_free(mfpo_agent *agent);

/* mfpo_agent_dims writes the agent's observation and action widths.
 * Either pointer may be NULL. */
int mfpo_agent_dims(const mfpo_agent *agent, size_t *obs_dim, size_t *act_dim);

/* mfpo_agent_counters writes the number of successful updates and of
 * transitions stored since the agent was created (or, for a loaded agent,
 * since it was first created). Either pointer may be NULL. */
int mfpo_agent_counters(const mfpo_agent *agent, int64_t *updates, int64_t *stored);

/* mfpo_agent_act computes actions for `rows` observations.
 *
 * obs: rows x obs_dim floats (obs_len must equal rows * obs_dim).
 * mode: MFPO_ACT_SAMPLE, MFPO_ACT_DETERMINISTIC, MFPO_ACT_BEST_OF_N or
 * MFPO_ACT_EXPLORE. seed: the noise of this call (MFPO_ACT_SAMPLE and
 * MFPO_ACT_BEST_OF_N): the same seed, observations and parameters give the
 * same actions, from C, C++, Go or Python (docs/capi.md gives the exact
 * stream). Acting with a seed does not change the agent; MFPO_ACT_EXPLORE
 * draws from (and advances) the agent's own generator instead.
 * act: receives rows x act_dim actions in the environment's units
 * (act_cap >= rows * act_dim).
 *
 * Errors: rows == 0 or an unknown mode is MFPO_EINVAL; obs_len or act_cap
 * not matching the shapes is MFPO_ESHAPE; a NaN or infinity in obs is
 * MFPO_ENONFINITE. */
int mfpo_agent_act(mfpo_agent *agent, const float *obs, size_t obs_len, size_t rows, int mode,
                   uint64_t seed, float *act, size_t act_cap);

/* mfpo_agent_store adds `rows` transitions to the replay buffer, in order:
 * obs and next_obs rows x obs_dim, act rows x act_dim in the environment's
 * units (mapped to [-1, 1] with the bounds and clipped to it), reward
 * `rows` floats, terminated `rows` bytes (nonzero: the episode ended in a
 * terminal state, so the next state's value is not bootstrapped; pass 0
 * for a time-limit truncation). Every row is checked before any is stored:
 * a NaN or an infinity anywhere is MFPO_ENONFINITE and the buffer is
 * unchanged. Lengths that do not match rows are MFPO_ESHAPE; rows == 0 is
 * MFPO_EINVAL. When the buffer is full the oldest transitions go. */
int mfpo_agent_store(mfpo_agent *agent, size_t rows, const float *obs, size_t obs_len,
                     const float *act, size_t act_len, const float *reward,
                     const float *next_obs, size_t next_obs_len, const uint8_t *terminated);

/* mfpo_agent_update runs `steps` (>= 1) updates on batches from the
 * replay buffer and, when stats is not NULL, writes the means of their
 * figures into *stats (stats->size must be set, >= 16; see mfpo_stats).
 *
 * Errors: fewer than batch_size stored transitions is MFPO_ENODATA
 * (nothing changed); a non-finite loss is MFPO_EUPDATE: that update is
 * undone, the updates before it in this call stay applied
 * (mfpo_agent_counters tells how many there are in all), *stats is not
 * written. */
int mfpo_agent_update(mfpo_agent *agent, uint32_t steps, mfpo_stats *stats);

/* mfpo_agent_config writes the agent's effective config as a
 * NUL-terminated JSON object with every key (the form mfpo_agent_create
 * reads), by the size-query rules above; *needed counts the NUL. */
int mfpo_agent_config(const mfpo_agent *agent, char *buf, size_t cap, size_t *needed);

/* mfpo_agent_policy makes a policy handle with copies of the agent's
 * current policy network and target critics, its config and bounds: the
 * agent can go on training; the policy does not change. Free it with
 * mfpo_policy_free. */
int mfpo_agent_policy(const mfpo_agent *agent, mfpo_policy **out);

/* ------------------------------------------------------------------------
 * Checkpoints (the format of docs/checkpoint.md; Go, Python and C++ read
 * and write the same files)
 * ------------------------------------------------------------------------ */

/* mfpo_agent_save writes a checkpoint of the agent to the file `path`
 * (what it holds: flags, one of MFPO_SAVE_*), atomically: into a temporary
 * file beside it, synced, then renamed over `path`; a failure leaves any
 * previous file at `path` as it was. The action bounds are saved with it.
 * Errors: an unknown flags value is MFPO_EINVAL; a file that can not be
 * written is MFPO_EIO. */
int mfpo_agent_save(const mfpo_agent *agent, const char *path, unsigned flags);

/* mfpo_agent_save_buffer writes the same bytes into a caller's buffer, by
 * the size-query rules above. A size query followed by the call with a
 * large enough buffer serialises the agent once (the bytes are kept inside
 * the handle in between, dropped when they are copied out or the agent
 * changes). */
int mfpo_agent_save_buffer(const mfpo_agent *agent, unsigned flags, void *buf, size_t cap, size_t *needed);

/* mfpo_agent_load reads a full checkpoint (MFPO_SAVE_FULL or
 * MFPO_SAVE_REPLAY) into a new agent that continues exactly where the
 * saved one was: networks, optimisers, temperature, generator, counters,
 * bounds and, when saved, the replay buffer. Failure messages are read
 * with mfpo_errmsg(NULL).
 * Errors: a file that can not be read is MFPO_EIO; a truncated, corrupted
 * or foreign file, or a policy checkpoint, is MFPO_EFORMAT (so is a file
 * describing an agent that would need more than 16 GiB); a newer format is
 * MFPO_EVERSION. Nothing of the file is trusted: every offset and length is
 * checked before it is read. */
int mfpo_agent_load(mfpo_agent **out, const char *path);

/* mfpo_agent_load_buffer is mfpo_agent_load from `len` bytes in memory;
 * the library keeps no pointer into them. */
int mfpo_agent_load_buffer(mfpo_agent **out, const void *buf, size_t len);

/* mfpo_policy_load reads the policy of a checkpoint of either kind (full
 * or policy) into a new policy handle: the deployment path. Errors as for
 * mfpo_agent_load (a policy checkpoint is accepted here). */
int mfpo_policy_load(mfpo_policy **out, const char *path);

/* mfpo_policy_load_buffer is mfpo_policy_load from `len` bytes in memory. */
int mfpo_policy_load_buffer(mfpo_policy **out, const void *buf, size_t len);

/* ------------------------------------------------------------------------
 * Policies: immutable, thread-safe acting (the deployment path)
 * ------------------------------------------------------------------------ */

/* mfpo_policy_free frees a policy. NULL is MFPO_OK; a handle already
 * freed (or unknown) is MFPO_EHANDLE. */
int mfpo_policy_free(mfpo_policy *policy);

/* mfpo_policy_dims writes the policy's observation and action widths.
 * Either pointer may be NULL. */
int mfpo_policy_dims(const mfpo_policy *policy, size_t *obs_dim, size_t *act_dim);

/* mfpo_policy_act is mfpo_agent_act for a policy: the same arguments,
 * errors and results (a policy made from an agent acts as the agent did
 * then, for the same seed), except that MFPO_ACT_EXPLORE is MFPO_EINVAL.
 * Any number of threads may call it on one policy at once. */
int mfpo_policy_act(const mfpo_policy *policy, const float *obs, size_t obs_len, size_t rows,
                    int mode, uint64_t seed, float *act, size_t act_cap);

/* mfpo_policy_config writes the policy's config as JSON, as
 * mfpo_agent_config does. */
int mfpo_policy_config(const mfpo_policy *policy, char *buf, size_t cap, size_t *needed);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MFPO_H */
