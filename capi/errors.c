/* The C half of error reporting: thread-local messages (mfpo_errmsg) and
 * the static strings the library returns. A cgo export runs on
 * the calling C thread, and so do the C calls it makes, so __thread storage
 * is per calling thread. Nothing here allocates. */
#include "internal.h"

#include <string.h>

enum { MSG_CAP = 1024 };

static __thread char message[MSG_CAP];
static __thread uintptr_t message_handle;
static __thread int message_set;

void capi_set_error(uintptr_t handle, const char *msg, size_t len) {
	if (len > MSG_CAP - 1)
		len = MSG_CAP - 1;
	if (len > 0)
		memcpy(message, msg, len);
	message[len] = '\0';
	message_handle = handle;
	message_set = 1;
}

const char *capi_error(uintptr_t handle) {
	return message_set && message_handle == handle ? message : "";
}

/* Static homes for the strings mfpo_version, mfpo_build_info and
 * mfpo_errstr return (capi.go numbers the slots): copied once from Go,
 * never allocated, so that leak checkers see nothing. */
static char kept[CAPI_KEEP_SLOTS][1024];

const char *capi_keep(int slot, const char *s, size_t len) {
	if (slot < 0 || slot >= CAPI_KEEP_SLOTS)
		return "";
	if (len > sizeof kept[slot] - 1)
		len = sizeof kept[slot] - 1;
	memcpy(kept[slot], s, len);
	kept[slot][len] = '\0';
	return kept[slot];
}
