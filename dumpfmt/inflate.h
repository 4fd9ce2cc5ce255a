/* inflate.h - turning a snapshot with compressed chunks into a plain image the reader maps.
 *
 * The reader serves records in place from a mapping, so a file with compressed chunks
 * (format 1.1) is inflated once, at open, into an unlinked temporary file: the same header,
 * then every chunk with its payload inflated (kind without the compressed bit, CRC field 0),
 * in stored order. That image is read exactly like a stored file, except that CRCs are not
 * checked again: inflate.c checked every chunk's CRC on its stored bytes, before inflating.
 * The directory kept here maps image offsets back to stored ones for errors and reports.
 *
 * Inflation stops at the first chunk that is cut short or corrupt (framing, CRC,
 * compression header, zstd frame); that problem is kept in `stop` and raised by the
 * reader's walk when it reaches the end of the image, so partial and salvage modes behave
 * as on a plain file. Owned by the reader (reader.c); freed with hwd__image_free().
 */
#ifndef HWD_INFLATE_H
#define HWD_INFLATE_H

#include "hwd-internal.h"

/* One stored chunk. Entries [0, nimage) are in the image; in checking mode, entries after
 * them are chunks past the first problem, listed by their framing and CRC only. */
struct hwd__chunk_map {
	uint64_t image_off;   /* of the chunk header in the image (entries < nimage) */
	uint64_t stored_off;  /* of the chunk header in the stored file */
	uint64_t stored_len;  /* payload bytes as stored */
	uint64_t raw_len;     /* payload bytes once inflated (declared raw_len if not inflated) */
	uint32_t kind;        /* without HWD_CHUNK_COMPRESSED */
	int compressed;
	int ok;               /* 0: the chunk with the first problem, or a bad CRC after it */
};

typedef struct hwd__image {
	const uint8_t *data;  /* the image, mapped read-only from the temporary file */
	size_t len;
	struct hwd__chunk_map *chunks;
	uint64_t nchunks, nimage, cap;
	uint64_t stored_len;
	/* Bytes after a stored END chunk are copied verbatim so that the walk refuses them:
	 * image offset tail_image is stored offset tail_stored (UINT64_MAX: no tail). */
	uint64_t tail_image, tail_stored;
	int stop;             /* HWD_E_TRUNCATED or HWD_E_CORRUPT that ended inflation, else 0 */
	hwd_error stop_err;   /* its description, with stored offsets */
	uint64_t stop_off;    /* stored offset of the chunk where inflation stopped */
} hwd__image;

/* Inflates stored[0..len) (header already parsed: header_size is valid) into *img.
 * With `check`, keeps listing chunk framing and CRCs after the first problem. Returns 0
 * (even when inflation stopped at a damaged chunk: see img->stop), or HWD_E_IO (temporary
 * file; ENOSPC says the disk is full), HWD_E_NOMEM, HWD_E_VERSION (unknown codec). */
int hwd__inflate(const uint8_t *stored, uint64_t len, uint32_t header_size, int check, hwd__image *img,
		 hwd_error *err);
void hwd__image_free(hwd__image *img);

/* The stored offset of image offset `off` (identity before any chunk; chunk-relative in
 * plain chunks; the chunk header's offset inside a compressed payload). *in_compressed is set
 * to the chunk's entry when `off` lies in an inflated payload, else NULL. */
uint64_t hwd__image_stored_offset(const hwd__image *img, uint64_t off,
				  const struct hwd__chunk_map **in_compressed);
/* The directory entry of the chunk whose header is at image offset `off`, or NULL. */
const struct hwd__chunk_map *hwd__image_chunk_at(const hwd__image *img, uint64_t off);

#endif
