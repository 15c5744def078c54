/*
 * internal.h — declarations shared by the cgo preambles of package capi and
 * its C helpers (errors.c). Not installed, not part of the contract.
 */
#ifndef MFPO_CAPI_INTERNAL_H
#define MFPO_CAPI_INTERNAL_H

#include "mfpo.h"

#include <string.h>

/* cgo writes an export's C parameter and result types from its Go types;
 * these typedefs make it write the const-qualified types of mfpo.h, so
 * that the C compiler checks each export against its declaration there. */
typedef const char mfpo_cchar;
typedef const float mfpo_cfloat;
typedef const uint8_t mfpo_cuint8;
typedef const void mfpo_cvoid;
typedef const mfpo_agent mfpo_cagent;
typedef const mfpo_policy mfpo_cpolicy;

/* errors.c: the calling thread's last error message and the handle it
 * concerned (see mfpo_errmsg). */
void capi_set_error(uintptr_t handle, const char *msg, size_t len);
const char *capi_error(uintptr_t handle);

/* errors.c: copies s into static slot `slot` (< CAPI_KEEP_SLOTS) and
 * returns it: the strings of mfpo_version, mfpo_build_info and
 * mfpo_errstr (capi.go numbers the slots). */
#define CAPI_KEEP_SLOTS 32
const char *capi_keep(int slot, const char *s, size_t len);

#endif
