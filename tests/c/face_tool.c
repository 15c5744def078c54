/*
 * face_tool — the C half of the face conformance test
 * (tests/python/test_conformance.py): it reads calls of the C ABI, one a
 * line, from stdin, makes them, and prints one result line each:
 *   STATUS \t MESSAGE \t VALUES
 * STATUS is the mfpo_status number; MESSAGE is mfpo_errmsg after the
 * function's name ("" on success); VALUES are the floats a call wrote,
 * as C99 hex floats separated by spaces. A call line is tab-separated:
 *   create  NAME CONFIG OBS_DIM ACT_DIM LOW HIGH   (LOW/HIGH: csv, or "-" for NULL)
 *   act     AGENT ROWS OBS MODE SEED ACT_CAP       (MODE: a mode name, or a number)
 *   store   AGENT ROWS OBS ACT REWARD NEXT TERM
 *   update  AGENT STEPS
 *   save    AGENT PATH KIND                        (KIND: full, replay, policy, or a number)
 *   load    NAME PATH        policy_load NAME PATH    policy_from NAME AGENT
 *   policy_act POLICY ROWS OBS MODE SEED ACT_CAP
 *   free    AGENT            policy_free POLICY
 * Names stand for handles; an unknown name is a never-issued handle.
 * Not a test program: mk/capi.mk builds it beside act_tool.
 */
#include "mfpo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FIELDS = 10, MAX_NAMES = 64, MAX_FLOATS = 1 << 16 };

static struct {
	char name[32];
	void *handle;
} names[MAX_NAMES];
static int n_names;

static void *handle_of(const char *name) {
	for (int i = 0; i < n_names; i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].handle;
	return (void *)(uintptr_t)(0x4d46ULL << 48 | 0xffffffffffULL); /* tagged, never issued */
}

static void bind(const char *name, void *h) {
	for (int i = 0; i < n_names; i++)
		if (strcmp(names[i].name, name) == 0) {
			names[i].handle = h;
			return;
		}
	if (n_names < MAX_NAMES) {
		snprintf(names[n_names].name, sizeof names[n_names].name, "%s", name);
		names[n_names++].handle = h;
	}
}

/* floats parses a csv of floats into buf; "-" is NULL, "" no floats. */
static float *floats(const char *csv, float *buf, size_t *n) {
	*n = 0;
	if (strcmp(csv, "-") == 0)
		return NULL;
	const char *p = csv;
	while (*p && *n < MAX_FLOATS) {
		char *end;
		buf[(*n)++] = strtof(p, &end);
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p)
			break;
	}
	return buf;
}

static int mode_of(const char *s) {
	if (strcmp(s, "sample") == 0)
		return MFPO_ACT_SAMPLE;
	if (strcmp(s, "deterministic") == 0)
		return MFPO_ACT_DETERMINISTIC;
	if (strcmp(s, "best_of_n") == 0)
		return MFPO_ACT_BEST_OF_N;
	if (strcmp(s, "explore") == 0)
		return MFPO_ACT_EXPLORE;
	return atoi(s) ? atoi(s) : 99;
}

static unsigned kind_of(const char *s) {
	if (strcmp(s, "full") == 0)
		return MFPO_SAVE_FULL;
	if (strcmp(s, "replay") == 0)
		return MFPO_SAVE_REPLAY;
	if (strcmp(s, "policy") == 0)
		return MFPO_SAVE_POLICY;
	return 99u;
}

static void result(int rc, const void *h, const float *out, size_t n) {
	const char *msg = rc == MFPO_OK ? "" : mfpo_errmsg(h);
	const char *colon = strstr(msg, ": ");
	printf("%d\t%s\t", rc, colon ? colon + 2 : msg);
	for (size_t i = 0; rc == MFPO_OK && i < n; i++)
		printf(i ? " %a" : "%a", (double)out[i]);
	printf("\n");
	fflush(stdout);
}

static float obs[MAX_FLOATS], act[MAX_FLOATS], rew[MAX_FLOATS], nxt[MAX_FLOATS], low[64], high[64], out[MAX_FLOATS];

int main(void) {
	static char line[1 << 20];
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *f[MAX_FIELDS] = {0};
		int nf = 0;
		for (char *p = line; nf < MAX_FIELDS; nf++) {
			f[nf] = p;
			char *tab = strchr(p, '\t');
			if (!tab) {
				nf++;
				break;
			}
			*tab = 0;
			p = tab + 1;
		}
		for (int i = nf; i < MAX_FIELDS; i++)
			f[i] = "";
		size_t n1, n2, n3, n4;
		const char *op = f[0];
		if (strcmp(op, "create") == 0) {
			mfpo_agent *a = NULL;
			int rc = mfpo_agent_create(&a, strcmp(f[2], "-") ? f[2] : NULL, strtoull(f[3], 0, 10), strtoull(f[4], 0, 10),
			                           floats(f[5], low, &n1), floats(f[6], high, &n2));
			if (rc == MFPO_OK)
				bind(f[1], a);
			result(rc, NULL, NULL, 0);
		} else if (strcmp(op, "act") == 0 || strcmp(op, "policy_act") == 0) {
			void *h = handle_of(f[1]);
			size_t rows = strtoull(f[2], 0, 10), cap = strtoull(f[6], 0, 10);
			floats(f[3], obs, &n1);
			int mode = mode_of(f[4]);
			uint64_t seed = strtoull(f[5], 0, 10);
			int rc = op[0] == 'a' ? mfpo_agent_act(h, obs, n1, rows, mode, seed, out, cap)
			                      : mfpo_policy_act(h, obs, n1, rows, mode, seed, out, cap);
			result(rc, h, out, cap);
		} else if (strcmp(op, "store") == 0) {
			void *h = handle_of(f[1]);
			size_t rows = strtoull(f[2], 0, 10);
			floats(f[3], obs, &n1);
			floats(f[4], act, &n2);
			floats(f[5], rew, &n3);
			floats(f[6], nxt, &n4);
			uint8_t term[256] = {0};
			for (size_t i = 0; f[7][2 * i] && i < sizeof term; i++)
				term[i] = (uint8_t)(f[7][2 * i] - '0');
			result(mfpo_agent_store(h, rows, obs, n1, act, n2, rew, nxt, n4, term), h, NULL, 0);
		} else if (strcmp(op, "update") == 0) {
			void *h = handle_of(f[1]);
			mfpo_stats st = MFPO_STATS_INIT;
			int rc = mfpo_agent_update(h, (uint32_t)strtoul(f[2], 0, 10), &st);
			out[0] = (float)st.updates;
			result(rc, h, out, 1);
		} else if (strcmp(op, "save") == 0) {
			void *h = handle_of(f[1]);
			result(mfpo_agent_save(h, f[2], kind_of(f[3])), h, NULL, 0);
		} else if (strcmp(op, "load") == 0 || strcmp(op, "policy_load") == 0) {
			void *h = NULL;
			int rc = op[0] == 'l' ? mfpo_agent_load((mfpo_agent **)&h, f[2]) : mfpo_policy_load((mfpo_policy **)&h, f[2]);
			if (rc == MFPO_OK)
				bind(f[1], h);
			result(rc, NULL, NULL, 0);
		} else if (strcmp(op, "policy_from") == 0) {
			mfpo_policy *p = NULL;
			void *h = handle_of(f[2]);
			int rc = mfpo_agent_policy(h, &p);
			if (rc == MFPO_OK)
				bind(f[1], p);
			result(rc, h, NULL, 0);
		} else if (strcmp(op, "free") == 0) {
			void *h = handle_of(f[1]);
			result(mfpo_agent_free(h), h, NULL, 0);
		} else if (strcmp(op, "policy_free") == 0) {
			void *h = handle_of(f[1]);
			result(mfpo_policy_free(h), h, NULL, 0);
		} else {
			printf("-1\tface_tool: unknown call %s\t\n", op);
			fflush(stdout);
		}
	}
	return 0;
}
