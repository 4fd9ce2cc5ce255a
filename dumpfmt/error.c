/* error.c - filling hwd_error, error-code names and chunk-kind names.
 *
 * Every failure in dumpfmt ends here, so messages have one shape: a sentence naming what is
 * wrong, with the file offset and field kept apart in the struct for programs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hwd-internal.h"

static int vfail(hwd_error *err, int code, int sys_errno, uint64_t offset, const char *field,
		 const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->sys_errno = sys_errno;
	err->offset = offset;
	err->field = field;
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	return code;
}

int hwd__fail(hwd_error *err, int code, int sys_errno, uint64_t offset, const char *field,
	      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, sys_errno, offset, field, fmt, ap);
	va_end(ap);
	return code;
}

/* Deliberately not inline: set a breakpoint here to stop at the first corruption found. */
__attribute__((noinline)) int hwd__corrupt(hwd_error *err, uint64_t offset, const char *field,
					   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, HWD_E_CORRUPT, 0, offset, field, fmt, ap);
	va_end(ap);
	return HWD_E_CORRUPT;
}

const char *hwd_strerror(int code)
{
	switch (code) {
	case HWD_OK: return "ok";
	case HWD_E_IO: return "i/o error";
	case HWD_E_NOMEM: return "out of memory";
	case HWD_E_FORMAT: return "not a heapwalk snapshot";
	case HWD_E_VERSION: return "unsupported version";
	case HWD_E_CORRUPT: return "corrupt";
	case HWD_E_TRUNCATED: return "truncated";
	case HWD_E_USAGE: return "api misuse";
	case HWD_E_LIMIT: return "limit exceeded";
	default: return "unknown error";
	}
}

const char *hwd__chunk_kind_name(uint32_t kind)
{
	static const char *const names[HWD_CHUNK_KIND__NEXT] = {
		[HWD_CHUNK_META] = "META",         [HWD_CHUNK_STRINGS] = "STRINGS",
		[HWD_CHUNK_TYPES] = "TYPES",       [HWD_CHUNK_OBJECTS] = "OBJECTS",
		[HWD_CHUNK_EDGES] = "EDGES",       [HWD_CHUNK_ROOTS] = "ROOTS",
		[HWD_CHUNK_GOROUTINES] = "GOROUTINES", [HWD_CHUNK_FRAMES] = "FRAMES",
		[HWD_CHUNK_THREADS] = "THREADS",   [HWD_CHUNK_CONTENTS] = "CONTENTS",
		[HWD_CHUNK_END] = "END",           [HWD_CHUNK_ALLOC_FRAMES] = "ALLOC_FRAMES",
		[HWD_CHUNK_ALLOC_STACKS] = "ALLOC_STACKS", [HWD_CHUNK_ALLOC_SAMPLES] = "ALLOC_SAMPLES",
	};
	return kind < HWD_CHUNK_KIND__NEXT && names[kind] ? names[kind] : "unknown";
}
