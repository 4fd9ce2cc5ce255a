/* reader-internal.h - the reader's entry point shared with the checker (check.c).
 *
 * The checker is the reader in another mode, so that what `heapwalk check` accepts is
 * exactly what the reader accepts; this header is the seam between the two files.
 */
#ifndef HWD_READER_INTERNAL_H
#define HWD_READER_INTERNAL_H

#include "hwd.h"

/* Internal open flag: strict, report each chunk through the callback, and after the first
 * problem keep walking the framing (lengths and CRCs) to list the remaining chunks. */
#define HWD__OPEN_CHECK (1u << 16)

/* Maps `path` read-only. On success *data and *len describe it, and *map, *map_len must be passed
 * to munmap (map is NULL for an empty file). */
int hwd__map_file(const char *path, const void **data, size_t *len, void **map, size_t *map_len,
		  hwd_error *err);

/* Opens a reader over data[0..len). `map` and `map_len` (NULL and 0 for caller memory) are unmapped by
 * hwd_reader_close(), also when the open fails. */
int hwd__reader_open(const void *data, size_t len, void *map, size_t map_len, unsigned flags,
		     hwd_check_cb cb, void *user, hwd_reader **out, hwd_error *err);

#endif
