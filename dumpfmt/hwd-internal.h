/* hwd-internal.h - helpers shared by the dumpfmt sources, never installed.
 *
 * Error reporting goes through hwd__fail() so that every problem, in the writer or the
 * reader, fills an hwd_error the same way; HWD_CORRUPT() is the single path for "the input
 * holds an impossible value": a breakpoint on hwd__corrupt catches the first detection.
 */
#ifndef HWD_INTERNAL_H
#define HWD_INTERNAL_H

#include "hwd.h"
#include "hwd-format.h"

#if defined(__GNUC__)
#define HWD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HWD_PRINTF(a, b)
#endif

/* Fills *err (which may be NULL) and returns code. */
int hwd__fail(hwd_error *err, int code, int sys_errno, uint64_t offset, const char *field,
	      const char *fmt, ...) HWD_PRINTF(6, 7);
/* The corruption path: fills *err with HWD_E_CORRUPT and returns it. */
int hwd__corrupt(hwd_error *err, uint64_t offset, const char *field, const char *fmt, ...)
	HWD_PRINTF(4, 5);
#define HWD_CORRUPT(err, off, field, ...) hwd__corrupt((err), (off), (field), __VA_ARGS__)

/* Static name of an on-disk chunk kind ("OBJECTS", ...), "unknown" for others. */
const char *hwd__chunk_kind_name(uint32_t kind);
/* Bytes per record of a fixed-record chunk kind (TYPES, OBJECTS, ...); 0 for the others
 * (META, STRINGS, CONTENTS, END, unknown kinds). */
uint32_t hwd__record_size(uint32_t kind);

/* Bytes of padding after `len` payload bytes to reach the next multiple of 8. */
static inline uint64_t hwd__pad8(uint64_t len) { return (8 - (len & 7)) & 7; }

#endif /* HWD_INTERNAL_H */
