/* The C half of error reporting: thread-local messages (mfpo_errmsg) and
 * the static names of the status codes (mfpo_errstr). A cgo export runs on
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

const char *capi_errstr(int status) {
	switch (status) {
	case MFPO_OK:
		return "MFPO_OK: success";
	case MFPO_EINVAL:
		return "MFPO_EINVAL: invalid argument";
	case MFPO_ECONFIG:
		return "MFPO_ECONFIG: invalid JSON config";
	case MFPO_ESHAPE:
		return "MFPO_ESHAPE: an array's length does not match the shapes";
	case MFPO_ENONFINITE:
		return "MFPO_ENONFINITE: a NaN or an infinity in the input";
	case MFPO_ENODATA:
		return "MFPO_ENODATA: not enough stored transitions for an update";
	case MFPO_EUPDATE:
		return "MFPO_EUPDATE: update abandoned on a non-finite loss, agent restored";
	case MFPO_EHANDLE:
		return "MFPO_EHANDLE: a NULL, freed or unknown handle, or one of the other kind";
	case MFPO_EIO:
		return "MFPO_EIO: file input/output failed";
	case MFPO_EFORMAT:
		return "MFPO_EFORMAT: not a valid checkpoint";
	case MFPO_EPANIC:
		return "MFPO_EPANIC: internal error of the library (a bug)";
	case MFPO_ESIZE:
		return "MFPO_ESIZE: the buffer is too small";
	case MFPO_EVERSION:
		return "MFPO_EVERSION: the checkpoint is in a newer format than this library reads";
	}
	return "unknown mfpo status";
}

/* Static homes for the strings mfpo_version and mfpo_build_info return:
 * copied once from Go, never allocated, so that leak checkers see nothing. */
static char kept[2][1024];

const char *capi_keep(int slot, const char *s, size_t len) {
	if (len > sizeof kept[slot] - 1)
		len = sizeof kept[slot] - 1;
	memcpy(kept[slot], s, len);
	kept[slot][len] = '\0';
	return kept[slot];
}
