/* inflate.c - inflating a snapshot with compressed chunks into an unlinked temporary file.
 *
 * See inflate.h for the image this builds and why. Every stored chunk is framed and
 * CRC-checked on its stored bytes (chunk.c) before anything is taken from it; a compressed
 * payload's header is checked (codec, raw_len within the 1 GiB cap and equal to the zstd
 * frame's declared content size) before the decoder runs, and the decoder writes through a
 * fixed bounce buffer into the temporary file, never past raw_len: hostile sizes cost no
 * allocation, and the image is at most the sum of the declared sizes. The decoder's window
 * is capped at 2^HWD_ZSTD_WINDOW_LOG_MAX, so its memory is bounded whatever the frame says.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "inflate.h"
#include "inflate-ahead.h"
#include "reader-internal.h"

#define BOUNCE_BYTES (1u << 20)

struct inflater {
	const uint8_t *d;
	uint64_t len;
	hwd__image *img;
	int fd;
	uint64_t out;          /* bytes written to the image */
	const char *dir;       /* of the temporary file, for messages */
	ZSTD_DCtx *dctx;
	uint8_t *bounce;
	hwd__ahead *ahead;     /* payloads inflated ahead on a second thread (NULL: none) */
};

/* The image is written with plain write(2)s and mapped with small pages, unlike a stored
 * snapshot (hugeio.h): it is created in the analysis's own time, and in a VM whose host backs
 * free 2 MiB blocks lazily, filling fresh 2 MiB folios cost more than they saved (socialgraph's
 * 755 MB image: open 0.87 s this way, 1.08 s in 2 MiB blocks; the search no faster). */
static int write_out(struct inflater *in, const void *p, size_t n, hwd_error *err)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = write(in->fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			if (e == ENOSPC || e == EDQUOT)
				return hwd__fail(err, HWD_E_IO, e, 0, NULL, "inflating the compressed snapshot into a "
						 "temporary file in %s failed after %llu bytes: the disk is full (set "
						 "TMPDIR to a directory with more room)", in->dir,
						 (unsigned long long)in->out);
			return hwd__fail(err, HWD_E_IO, e, 0, NULL, "writing the inflated snapshot to a temporary "
					 "file in %s failed: %s", in->dir, strerror(e));
		}
		b += k;
		n -= (size_t)k;
		in->out += (uint64_t)k;
	}
	return 0;
}

static int pad_out(struct inflater *in, uint64_t n, hwd_error *err)
{
	static const uint8_t zeros[8];
	return write_out(in, zeros, (size_t)hwd__pad8(n), err);
}

/* An unlinked file in $TMPDIR or /tmp: O_TMPFILE where the filesystem has it. */
static int open_tmp(struct inflater *in, hwd_error *err)
{
	const char *dir = getenv("TMPDIR");
	char *path = NULL;
	if (!dir || !*dir)
		dir = "/tmp";
	in->dir = dir;
	in->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (in->fd >= 0)
		return 0;
	if (asprintf(&path, "%s/.heapwalk-inflate.XXXXXX", dir) < 0)
		return hwd__fail(err, HWD_E_NOMEM, ENOMEM, 0, NULL, "out of memory");
	in->fd = mkostemp(path, O_CLOEXEC);
	if (in->fd < 0) {
		int e = errno;
		free(path);
		return hwd__fail(err, HWD_E_IO, e, 0, NULL, "cannot create a temporary file in %s to inflate the "
				 "compressed snapshot: %s", dir, strerror(e));
	}
	unlink(path);
	free(path);
	return 0;
}

/* Lists the chunk at `off`; its declared raw_len is read only when the payload is in the file. */
static struct hwd__chunk_map *add_chunk(struct inflater *in, uint64_t off, uint32_t word, uint64_t plen,
					int whole, hwd_error *err)
{
	hwd__image *img = in->img;
	if (img->nchunks == img->cap) {
		uint64_t ncap = img->cap ? img->cap * 2 : 16;
		void *n = ncap > SIZE_MAX / sizeof *img->chunks ? NULL
			: realloc(img->chunks, (size_t)ncap * sizeof *img->chunks);
		if (!n) {
			hwd__fail(err, HWD_E_NOMEM, ENOMEM, off, NULL, "out of memory while inflating the chunk "
				  "at 0x%llx", (unsigned long long)off);
			return NULL;
		}
		img->chunks = n;
		img->cap = ncap;
	}
	struct hwd__chunk_map *c = &img->chunks[img->nchunks++];
	int compressed = !!(word & HWD_CHUNK_COMPRESSED);
	uint64_t raw = whole && compressed && plen >= sizeof(hwd_compress_header)
		? hwd_get_le64(in->d + off + HWD_CHUNK_HEADER_SIZE + 8) : plen;
	*c = (struct hwd__chunk_map){ in->out, off, plen, raw, word & HWD_CHUNK_KIND_MASK, compressed, 1 };
	return c;
}

/* The image's header of an inflated chunk: its kind, CRC 0 (the walk checked it on the stored
 * bytes and does not check image CRCs), its inflated length. */
static int put_header(struct inflater *in, uint32_t word, uint64_t raw, hwd_error *err)
{
	uint8_t h[HWD_CHUNK_HEADER_SIZE];
	hwd_put_le32(h, word & HWD_CHUNK_KIND_MASK);
	hwd_put_le32(h + 4, 0);
	hwd_put_le64(h + 8, raw);
	return write_out(in, h, sizeof h, err);
}

/* Checks the compression header of the chunk at `off` and streams its frame into the image
 * as a plain chunk. Returns 0; HWD_E_CORRUPT with *here (the chunk stays out of the image);
 * or a fatal code in *err. */
static int inflate_chunk(struct inflater *in, uint64_t off, uint32_t word, uint64_t plen, hwd_error *here,
			 hwd_error *err)
{
	const uint8_t *p = in->d + off + HWD_CHUNK_HEADER_SIZE;
	const char *name = hwd__chunk_kind_name(word & HWD_CHUNK_KIND_MASK);
	unsigned long long at = off;
	if (plen < sizeof(hwd_compress_header))
		return HWD_CORRUPT(here, off + 8, "chunk.length", "compressed %s chunk at 0x%llx has a %llu-byte "
				   "payload, shorter than its 16-byte compression header", name, at,
				   (unsigned long long)plen);
	uint32_t codec = hwd_get_le32(p);
	uint64_t raw = hwd_get_le64(p + 8);
	if (codec != HWD_CODEC_ZSTD)
		return hwd__fail(err, HWD_E_VERSION, 0, off + 16, "compress.codec", "%s chunk at 0x%llx is "
				 "compressed with codec %u, unknown to this reader; a newer heapwalk is needed",
				 name, at, codec);
	if (raw > HWD_CHUNK_MAX)
		return HWD_CORRUPT(here, off + 24, "compress.raw_len", "compressed %s chunk at 0x%llx declares "
				   "%llu inflated bytes, over the %llu-byte limit", name, at, (unsigned long long)raw,
				   (unsigned long long)HWD_CHUNK_MAX);
	const uint8_t *frame = p + sizeof(hwd_compress_header);
	size_t flen = (size_t)(plen - sizeof(hwd_compress_header));
	unsigned long long fsize = ZSTD_getFrameContentSize(frame, flen);
	if (fsize == ZSTD_CONTENTSIZE_ERROR || fsize == ZSTD_CONTENTSIZE_UNKNOWN)
		return HWD_CORRUPT(here, off, "compress.frame", "compressed %s chunk at 0x%llx: the payload after "
				   "its compression header %s", name, at,
				   fsize == ZSTD_CONTENTSIZE_ERROR ? "is not a zstd frame"
								   : "is a zstd frame that does not declare its size");
	if (fsize != raw)
		return HWD_CORRUPT(here, off + 24, "compress.raw_len", "compressed %s chunk at 0x%llx declares "
				   "%llu inflated bytes, but its zstd frame declares %llu", name, at,
				   (unsigned long long)raw, fsize);

	int rc;
	uint64_t start = in->out, made = 0;
	if ((rc = put_header(in, word, raw, err)))
		return rc;
	ZSTD_DCtx_reset(in->dctx, ZSTD_reset_session_only);
	ZSTD_inBuffer src = { frame, flen, 0 };
	size_t left = 1;
	while (left) {
		/* Never offer the decoder room past raw_len. */
		ZSTD_outBuffer dst = { in->bounce, raw - made < BOUNCE_BYTES ? (size_t)(raw - made) : BOUNCE_BYTES, 0 };
		size_t before = src.pos;
		left = ZSTD_decompressStream(in->dctx, &dst, &src);
		if (ZSTD_isError(left)) {
			rc = HWD_CORRUPT(here, off, "compress.frame", "compressed %s chunk at 0x%llx does not inflate "
					 "(zstd: %s) after %llu of its %llu bytes", name, at,
					 ZSTD_getErrorName(left), (unsigned long long)made, (unsigned long long)raw);
			break;
		}
		if ((rc = write_out(in, in->bounce, dst.pos, err)))
			return rc;
		made += dst.pos;
		if (left && !dst.pos && src.pos == before) { /* no progress: out of input, or of room */
			rc = HWD_CORRUPT(here, off, "compress.frame", "compressed %s chunk at 0x%llx: its zstd "
					 "frame %s", name, at, src.pos == src.size
					 ? "ends before it is complete" : "inflates to more than its declared size");
			break;
		}
	}
	if (!rc && (src.pos != src.size || made != raw))
		rc = HWD_CORRUPT(here, off, "compress.frame", "compressed %s chunk at 0x%llx: its zstd frame %s",
				 name, at, made != raw ? "inflates to fewer bytes than it declares"
						       : "is followed by stray bytes inside the payload");
	if (rc) { /* take the partial chunk back out of the image */
		if (ftruncate(in->fd, (off_t)start) < 0 || lseek(in->fd, (off_t)start, SEEK_SET) < 0)
			return hwd__fail(err, HWD_E_IO, errno, 0, NULL, "rewinding the inflated snapshot failed: "
					 "%s", strerror(errno));
		in->out = start;
		return rc;
	}
	return pad_out(in, raw, err);
}

static void stop_at(hwd__image *img, int code, uint64_t off, const hwd_error *here)
{
	img->stop = code;
	img->stop_err = *here;
	img->stop_off = off;
}

static int walk(struct inflater *in, uint32_t header_size, int check, hwd_error *err)
{
	hwd__image *img = in->img;
	uint64_t off = header_size;
	int end_seen = 0, rc;
	hwd_error here;

	if ((rc = write_out(in, in->d, header_size, err)))
		return rc;
	while (off < in->len) {
		uint32_t word;
		uint64_t plen;
		if (end_seen && !img->stop) { /* the walk refuses what follows END */
			img->tail_image = in->out;
			img->tail_stored = off;
			return write_out(in, in->d + off, (size_t)(in->len - off), err);
		}
		int frc = hwd__chunk_frame(in->d, in->len, off, &word, &plen, &here);
		struct hwd__chunk_map *c = NULL;
		if (in->len - off >= HWD_CHUNK_HEADER_SIZE && !(c = add_chunk(in, off, word, plen, !frc, err)))
			return HWD_E_NOMEM;
		if (frc) {
			if (c)
				c->ok = 0;
			if (!img->stop)
				stop_at(img, frc, off, &here);
			return 0;
		}
		rc = hwd__chunk_crc(in->d, off, word, plen, &here);
		if (!rc && !img->stop) {
			size_t alen;
			const uint8_t *ahead = word & HWD_CHUNK_COMPRESSED ? hwd__ahead_take(in->ahead, off, &alen) : NULL;
			if (ahead) { /* sound, and inflated already: as inflate_chunk() would write it */
				if ((rc = put_header(in, word, alen, err)) || (rc = write_out(in, ahead, alen, err)) ||
				    (rc = pad_out(in, alen, err)))
					return rc;
			} else if (word & HWD_CHUNK_COMPRESSED) {
				rc = inflate_chunk(in, off, word, plen, &here, err);
				if (rc && rc != HWD_E_CORRUPT)
					return rc;
			} else {
				rc = write_out(in, in->d + off, (size_t)(HWD_CHUNK_HEADER_SIZE + plen), err);
				if (rc || (rc = pad_out(in, plen, err)))
					return rc;
			}
			if (!rc) {
				img->nimage++;
				end_seen = (word & HWD_CHUNK_KIND_MASK) == HWD_CHUNK_END;
			}
		}
		if (rc) {
			c->ok = 0;
			if (!img->stop)
				stop_at(img, rc, off, &here);
			if (!check)
				return 0;
		}
		off += HWD_CHUNK_HEADER_SIZE + plen + hwd__pad8(plen);
	}
	return 0;
}

int hwd__inflate(const uint8_t *stored, uint64_t len, uint32_t header_size, int check, hwd__image *img,
		 hwd_error *err)
{
	struct inflater in = { stored, len, img, -1, 0, NULL, NULL, NULL, NULL };
	int rc;
	memset(img, 0, sizeof *img);
	img->stored_len = len;
	img->tail_image = img->tail_stored = UINT64_MAX;
	if (!(in.dctx = ZSTD_createDCtx()) || !(in.bounce = malloc(BOUNCE_BYTES)) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(in.dctx, ZSTD_d_windowLogMax, HWD_ZSTD_WINDOW_LOG_MAX))) {
		rc = hwd__fail(err, HWD_E_NOMEM, ENOMEM, 0, NULL, "out of memory for the zstd decoder");
		goto out;
	}
	if ((rc = open_tmp(&in, err)))
		goto out;
	in.ahead = hwd__ahead_start(stored, len, header_size);
	rc = walk(&in, header_size, check, err);
	hwd__ahead_stop(in.ahead);
	if (rc)
		goto out;
	void *m = mmap(NULL, (size_t)in.out, PROT_READ, MAP_SHARED, in.fd, 0);
	if (m == MAP_FAILED) {
		rc = hwd__fail(err, HWD_E_IO, errno, 0, NULL, "cannot map the inflated snapshot (%llu bytes): %s",
			       (unsigned long long)in.out, strerror(errno));
		goto out;
	}
	img->data = m;
	img->len = (size_t)in.out;
out:
	if (in.fd >= 0)
		close(in.fd); /* the mapping keeps the unlinked file until hwd__image_free */
	free(in.bounce);
	ZSTD_freeDCtx(in.dctx);
	if (rc)
		hwd__image_free(img);
	return rc;
}

void hwd__image_free(hwd__image *img)
{
	if (img->data)
		munmap((void *)img->data, img->len);
	free(img->chunks);
	memset(img, 0, sizeof *img);
}

/* The last image chunk whose header is at or before image offset `off`, or NULL. */
static const struct hwd__chunk_map *chunk_before(const hwd__image *img, uint64_t off)
{
	uint64_t lo = 0, hi = img->nimage;
	while (lo < hi) { /* first chunk starting after off */
		uint64_t mid = lo + (hi - lo) / 2;
		if (img->chunks[mid].image_off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &img->chunks[lo - 1] : NULL;
}

uint64_t hwd__image_stored_offset(const hwd__image *img, uint64_t off,
				  const struct hwd__chunk_map **in_compressed)
{
	*in_compressed = NULL;
	if (off >= img->tail_image)
		return img->tail_stored + (off - img->tail_image);
	if (off >= img->len) /* where inflation stopped */
		return img->stop ? img->stop_off : img->stored_len;
	const struct hwd__chunk_map *c = chunk_before(img, off);
	if (!c)
		return off; /* the header, copied verbatim */
	uint64_t rel = off - c->image_off;
	if (c->compressed && rel >= HWD_CHUNK_HEADER_SIZE) {
		*in_compressed = c;
		return c->stored_off;
	}
	return c->stored_off + rel;
}

const struct hwd__chunk_map *hwd__image_chunk_at(const hwd__image *img, uint64_t off)
{
	const struct hwd__chunk_map *c = chunk_before(img, off);
	return c && c->image_off == off ? c : NULL;
}
