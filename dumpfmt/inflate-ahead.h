/* inflate-ahead.h - decompressing a snapshot's chunks ahead, on a second thread (internal).
 *
 * Inflating a compressed snapshot (inflate.c) is a walk over the stored chunks that checks
 * each one and appends it, inflated, to the image; decompression is half of its time and
 * needs only the stored bytes. So a helper thread walks the same chunks ahead of it and
 * decompresses every compressed chunk that is plainly sound (its compression header agrees
 * with its one zstd frame, which fills the payload exactly, and the frame inflates to exactly
 * the declared size) into a buffer, a few chunks ahead at most. The walk takes the buffer of
 * the chunk it has reached and checked, when there is one, and otherwise inflates the chunk
 * itself as before: it judges every chunk exactly as without the helper, which only ever
 * saves it work. A chunk over AHEAD_MAX_RAW inflated bytes is left to the walk, so the helper
 * holds at most AHEAD_SLOTS x AHEAD_MAX_RAW bytes whatever the file declares.
 */
#ifndef HWD_INFLATE_AHEAD_H
#define HWD_INFLATE_AHEAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct hwd__ahead hwd__ahead;

/* Starts the helper over stored[first, len) (chunk framing from `first` on), whatever the
 * size (so that every test of compressed files runs with it); NULL when the thread cannot be
 * started (the walk then does all the work). The stored bytes must outlive hwd__ahead_stop(). */
hwd__ahead *hwd__ahead_start(const uint8_t *stored, uint64_t len, uint64_t first);
/* The inflated payload of the compressed chunk whose header is at stored offset `off`, or
 * NULL when the helper did not inflate it (the caller inflates it itself). Offsets must be
 * asked in increasing order; chunks skipped in between are dropped. The bytes stay valid
 * until the next call or hwd__ahead_stop(). */
const uint8_t *hwd__ahead_take(hwd__ahead *a, uint64_t off, size_t *len);
/* Stops and joins the helper, frees everything; NULL is fine. */
void hwd__ahead_stop(hwd__ahead *a);

#endif /* HWD_INFLATE_AHEAD_H */
