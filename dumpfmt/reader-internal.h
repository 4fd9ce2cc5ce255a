/* reader-internal.h - the reader's entry point shared with the checker (check.c), and the
 * chunk framing shared with inflation (inflate.c).
 *
 * The checker is the reader in another mode, so that what `heapwalk check` accepts is
 * exactly what the reader accepts; this header is the seam between those files.
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

/* Framing of the chunk at `off` in d[0..len): a whole header, payload_len within
 * HWD_CHUNK_MAX, payload and padding inside the file. Returns 0, or HWD_E_TRUNCATED /
 * HWD_E_CORRUPT with *here filled. *word and *plen are set whenever the header is whole.
 * Shared by the reader's walk and by inflation (inflate.c), so both frame chunks identically;
 * defined in chunk.c. */
int hwd__chunk_frame(const uint8_t *d, uint64_t len, uint64_t off, uint32_t *word, uint64_t *plen,
		     hwd_error *here);
/* CRC32C of the stored payload against the header's: 0 or HWD_E_CORRUPT ("chunk.crc32c"). */
int hwd__chunk_crc(const uint8_t *d, uint64_t off, uint32_t word, uint64_t plen, hwd_error *here);

#endif
