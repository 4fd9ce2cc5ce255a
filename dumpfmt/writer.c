/* writer.c - the streaming snapshot writer: records in, chunks out, one pass.
 *
 * Each chunk kind has its own buffer; a buffer is written as one chunk when it reaches the
 * target size, so memory stays bounded by (kinds x chunk_bytes) plus the intern tables, and
 * a dumper never holds the graph twice. Before a chunk is written, every chunk it may name
 * (strings, types, objects) is flushed first, and pending metadata goes out before anything
 * else: a file cut at any chunk boundary is therefore self-consistent (docs/format.md,
 * "Truncation"). The file is built under a 0600 temporary name and renamed into place by
 * hwd_writer_finish(), so the final path never names a half-written snapshot.
 * With compress_level set, each chunk's payload is compressed on its way out (one zstd frame
 * per chunk, so a cut file still loses only the chunk it cuts) unless it would not shrink.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "hugeio.h"
#include "hwd-internal.h"
#include "intern.h"

/* One pending chunk: the records after its run/strings header, which is built at flush. */
struct wbuf {
	uint8_t *data;
	size_t len, cap;
	uint64_t first;   /* index (id for STRINGS/TYPES) of the first buffered record */
	uint64_t n;       /* records buffered */
};

struct hwd_writer {
	int fd;
	int to_stdout;
	int special;              /* path names an existing device or FIFO, written in place */
	char *path;               /* final path (NULL for stdout) */
	char *tmp;                /* temporary path while writing */
	uint32_t chunk_bytes;
	int with_contents;
	ZSTD_CCtx *zc;            /* NULL: chunks are stored uncompressed */
	uint8_t *zbuf;            /* compressed payload of the chunk being written */
	size_t zcap;

	hwd__blockout out;        /* the file's bytes, written in aligned 2 MiB blocks (hugeio.h) */
	uint64_t chunks;          /* chunks written so far */
	struct wbuf buf[HWD_CHUNK_KIND__NEXT];
	uint64_t total[HWD_CHUNK_KIND__NEXT]; /* records added per kind (buffered or written) */

	hwd_strtab strings;
	hwd_typetab types;

	uint64_t last_addr, last_end; /* previous object, for order and overlap checks */
	uint32_t last_from;           /* previous edge's source */
	uint32_t last_sample;         /* previous allocation sample's object */
	/* Forward references checked at finish: the largest index named, plus one (0 none). */
	uint64_t need_goroutines, need_frames;

	int failed;               /* sticky: an I/O or memory failure; finish reports `failure` */
	hwd_error failure;
	hwd_error last;           /* the most recent error of any call (hwd_writer_last_error) */
};

/* Which chunks must be on disk before a chunk of a kind is written (ids it may name).
 * Kinds are numbered so that flushing dependencies in ascending order is correct. */
static const uint32_t deps[HWD_CHUNK_KIND__NEXT] = {
	[HWD_CHUNK_TYPES] = 1u << HWD_CHUNK_STRINGS,
	[HWD_CHUNK_OBJECTS] = 1u << HWD_CHUNK_STRINGS | 1u << HWD_CHUNK_TYPES,
	[HWD_CHUNK_EDGES] = 1u << HWD_CHUNK_STRINGS | 1u << HWD_CHUNK_TYPES | 1u << HWD_CHUNK_OBJECTS,
	[HWD_CHUNK_ROOTS] = 1u << HWD_CHUNK_STRINGS | 1u << HWD_CHUNK_TYPES | 1u << HWD_CHUNK_OBJECTS,
	[HWD_CHUNK_GOROUTINES] = 1u << HWD_CHUNK_STRINGS,
	[HWD_CHUNK_FRAMES] = 1u << HWD_CHUNK_STRINGS,
	[HWD_CHUNK_THREADS] = 1u << HWD_CHUNK_STRINGS,
	[HWD_CHUNK_CONTENTS] = 1u << HWD_CHUNK_STRINGS | 1u << HWD_CHUNK_TYPES | 1u << HWD_CHUNK_OBJECTS,
	[HWD_CHUNK_ALLOC_FRAMES] = 1u << HWD_CHUNK_STRINGS,
	[HWD_CHUNK_ALLOC_STACKS] = 1u << HWD_CHUNK_STRINGS | 1u << HWD_CHUNK_ALLOC_FRAMES,
	[HWD_CHUNK_ALLOC_SAMPLES] = 1u << HWD_CHUNK_STRINGS | 1u << HWD_CHUNK_TYPES | 1u << HWD_CHUNK_OBJECTS |
				    1u << HWD_CHUNK_ALLOC_FRAMES | 1u << HWD_CHUNK_ALLOC_STACKS,
};

/* Records a usage error: the call is refused, the writer stays usable. */
#define USAGE(w, ...) hwd__fail(&(w)->last, HWD_E_USAGE, 0, (w)->out.off, NULL, __VA_ARGS__)

/* Records a failure that makes the file unusable; every later call returns the same code. */
static int fail(hwd_writer *w, int code, int sys_errno, const char *fmt, const char *what)
{
	if (!w->failed) {
		w->failed = code;
		hwd__fail(&w->failure, code, sys_errno, w->out.off, NULL, fmt, what,
			  sys_errno ? strerror(sys_errno) : "");
	}
	w->last = w->failure;
	return w->failed;
}

static int fail_io(hwd_writer *w, int e, const char *what)
{
	if (e == ENOSPC || e == EDQUOT)
		return fail(w, HWD_E_IO, e, "%s failed: the disk is full (%s)", what);
	return fail(w, HWD_E_IO, e, "%s failed: %s", what);
}

/* A failed hwd__blockout call: the error names the offset where the failed write began. */
static int write_failed(hwd_writer *w, int e)
{
	if (e == ENOMEM)
		return fail(w, HWD_E_NOMEM, 0, "allocating the output buffer failed%s", "");
	uint64_t off = w->out.off;
	w->out.off = w->out.flushed;
	int rc = fail_io(w, e, w->to_stdout ? "writing the snapshot to standard output" : "writing the snapshot");
	w->out.off = off;
	return rc;
}

static int write_all(hwd_writer *w, const void *p, size_t n)
{
	int e = hwd__blockout_write(&w->out, p, n);
	return e ? write_failed(w, e) : 0;
}

/* Writes what is buffered: the file's end, or its header at open. */
static int flush_out(hwd_writer *w)
{
	int e = hwd__blockout_flush(&w->out);
	return e ? write_failed(w, e) : 0;
}

/* Compresses head + body into w->zbuf as a compression header and one zstd frame that
 * declares its content size. Returns the stored payload length, or 0 when compressing would
 * not shrink the payload (the chunk is then stored plain); -1 after a failure (in w). */
static int64_t compress_chunk(hwd_writer *w, const void *head, size_t head_len, const void *body,
			      size_t body_len)
{
	size_t raw = head_len + body_len, need = sizeof(hwd_compress_header) + ZSTD_compressBound(raw);
	if (need > w->zcap) {
		uint8_t *nb = realloc(w->zbuf, need);
		if (!nb)
			return fail(w, HWD_E_NOMEM, 0, "allocating the compression buffer failed%s", ""), -1;
		w->zbuf = nb;
		w->zcap = need;
	}
	ZSTD_outBuffer out = { w->zbuf + sizeof(hwd_compress_header), need - sizeof(hwd_compress_header), 0 };
	ZSTD_inBuffer in[2] = { { head, head_len, 0 }, { body, body_len, 0 } };
	size_t zr = ZSTD_CCtx_reset(w->zc, ZSTD_reset_session_only);
	if (!ZSTD_isError(zr))
		zr = ZSTD_CCtx_setPledgedSrcSize(w->zc, raw);
	if (!ZSTD_isError(zr))
		zr = ZSTD_compressStream2(w->zc, &out, &in[0], ZSTD_e_continue);
	while (!ZSTD_isError(zr)) { /* out has ZSTD_compressBound room: one pass normally ends it */
		zr = ZSTD_compressStream2(w->zc, &out, &in[1], ZSTD_e_end);
		if (!zr || out.pos == out.size)
			break;
	}
	if (ZSTD_isError(zr) || zr != 0 || in[0].pos != head_len || in[1].pos != body_len)
		return fail(w, HWD_E_NOMEM, 0, "compressing a chunk failed (zstd: %s)",
			    ZSTD_isError(zr) ? ZSTD_getErrorName(zr) : "output did not fit"), -1;
	if (sizeof(hwd_compress_header) + out.pos >= raw)
		return 0;
	hwd_put_le32(w->zbuf, HWD_CODEC_ZSTD);
	hwd_put_le32(w->zbuf + 4, 0);
	hwd_put_le64(w->zbuf + 8, raw);
	return (int64_t)(sizeof(hwd_compress_header) + out.pos);
}

/* Writes one chunk: header, `head` (the run/strings header, may be empty), body, padding;
 * compressed when the writer compresses, the chunk shrinks, and it is not END (which stays
 * plain so that the totals can be read without a decompressor). */
static int write_chunk(hwd_writer *w, uint32_t kind, const void *head, size_t head_len,
		       const void *body, size_t body_len)
{
	static const uint8_t zeros[8];
	uint8_t h[HWD_CHUNK_HEADER_SIZE];
	uint64_t len = (uint64_t)head_len + body_len;
	int64_t zlen = w->zc && kind != HWD_CHUNK_END ? compress_chunk(w, head, head_len, body, body_len) : 0;
	int rc;

	if (zlen < 0)
		return w->failed;
	if (zlen > 0) { /* the stored payload is the compression header and frame in zbuf */
		kind |= HWD_CHUNK_COMPRESSED;
		head = w->zbuf;
		head_len = (size_t)zlen;
		body_len = 0;
		len = (uint64_t)zlen;
	}
	hwd_put_le32(h, kind);
	hwd_put_le32(h + 4, hwd_crc32c(hwd_crc32c(0, head, head_len), body, body_len));
	hwd_put_le64(h + 8, len);
	if ((rc = write_all(w, h, sizeof h)) || (rc = write_all(w, head, head_len)) ||
	    (rc = write_all(w, body, body_len)) || (rc = write_all(w, zeros, hwd__pad8(len))))
		return rc;
	w->chunks++;
	return 0;
}

static int flush_one(hwd_writer *w, uint32_t kind)
{
	struct wbuf *b = &w->buf[kind];
	uint8_t head[16];
	size_t head_len = 0;
	int rc;

	if (!b->n)
		return 0;
	if (kind == HWD_CHUNK_STRINGS) {
		hwd_put_le32(head, (uint32_t)b->first);
		hwd_put_le32(head + 4, (uint32_t)b->n);
		head_len = 8;
	} else if (hwd__record_size(kind)) {
		hwd_put_le64(head, b->first);
		hwd_put_le64(head + 8, b->n);
		head_len = 16;
	}
	rc = write_chunk(w, kind, head, head_len, b->data, b->len);
	b->len = 0;
	b->n = 0;
	return rc;
}

/* Flushes `kind` after everything it depends on (and any pending metadata). */
static int flush(hwd_writer *w, uint32_t kind)
{
	int rc;
	if (w->failed)
		return w->failed;
	if (kind != HWD_CHUNK_META && (rc = flush_one(w, HWD_CHUNK_META)))
		return rc;
	for (uint32_t k = 0; k < HWD_CHUNK_KIND__NEXT; k++)
		if ((deps[kind] >> k & 1) && (rc = flush_one(w, k)))
			return rc;
	return flush_one(w, kind);
}

/* Returns room for one record of `need` bytes in the buffer of `kind`, flushing the buffer
 * first when the record would take it past the target size; NULL after a failure (in
 * w->last). A single record larger than the target gets a chunk of its own. */
static uint8_t *reserve(hwd_writer *w, uint32_t kind, size_t need)
{
	struct wbuf *b = &w->buf[kind];
	if (w->failed) {
		w->last = w->failure;
		return NULL;
	}
	if (need > HWD_CHUNK_MAX - 16) {
		hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL,
			  "a %zu-byte record does not fit in a chunk (at most %llu bytes)", need,
			  (unsigned long long)HWD_CHUNK_MAX);
		return NULL;
	}
	if (b->n && b->len + need > w->chunk_bytes && flush(w, kind))
		return NULL;
	if (b->len + need > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + need)
			ncap *= 2;
		uint8_t *nd = realloc(b->data, ncap);
		if (!nd) {
			fail(w, HWD_E_NOMEM, 0, "allocating a %s chunk buffer failed%s",
			     hwd__chunk_kind_name(kind));
			return NULL;
		}
		b->data = nd;
		b->cap = ncap;
	}
	if (!b->n)
		b->first = w->total[kind] + (kind == HWD_CHUNK_STRINGS || kind == HWD_CHUNK_TYPES);
	uint8_t *p = b->data + b->len;
	memset(p, 0, need);
	b->len += need;
	b->n++;
	w->total[kind]++;
	return p;
}

static void writer_free(hwd_writer *w)
{
	for (int k = 0; k < HWD_CHUNK_KIND__NEXT; k++)
		free(w->buf[k].data);
	ZSTD_freeCCtx(w->zc);
	free(w->zbuf);
	hwd__blockout_free(&w->out);
	hwd__strtab_free(&w->strings);
	hwd__typetab_free(&w->types);
	free(w->path);
	free(w->tmp);
	free(w);
}

/* Closes and unlinks the temporary file (keeping errno) and frees the writer. */
static void discard(hwd_writer *w)
{
	int e = errno;
	if (!w->to_stdout && w->fd >= 0) {
		close(w->fd);
		if (!w->special)
			unlink(w->tmp);
	}
	writer_free(w);
	errno = e;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int hwd_writer_open(const char *path, const hwd_writer_options *opt, hwd_writer **out, hwd_error *err)
{
	hwd_writer_options o = opt ? *opt : (hwd_writer_options){ 0 };
	hwd_writer *w;
	struct stat st;
	uint8_t h[HWD_HEADER_SIZE] = HWD_MAGIC;

	if (out)
		*out = NULL;
	if (!path || !*path || !out)
		return hwd__fail(err, HWD_E_USAGE, 0, 0, NULL, "hwd_writer_open needs a path and an out pointer");
	if (!o.pointer_size)
		o.pointer_size = 8;
	if (o.pointer_size != 4 && o.pointer_size != 8)
		return hwd__fail(err, HWD_E_USAGE, 0, 0, "pointer_size", "pointer size %u is neither 4 nor 8",
				 o.pointer_size);
	if (!o.chunk_bytes)
		o.chunk_bytes = HWD_CHUNK_DEFAULT_BYTES;
	if (o.chunk_bytes > HWD_CHUNK_MAX - 16)
		return hwd__fail(err, HWD_E_USAGE, 0, 0, "chunk_bytes", "chunk size %u is over the %llu-byte limit",
				 o.chunk_bytes, (unsigned long long)HWD_CHUNK_MAX - 16);

	if (o.compress_level && (o.compress_level < ZSTD_minCLevel() || o.compress_level > ZSTD_maxCLevel()))
		return hwd__fail(err, HWD_E_USAGE, 0, 0, "compress_level", "compression level %d is not 0 (off) "
				 "or a zstd level from %d to %d", o.compress_level, ZSTD_minCLevel(),
				 ZSTD_maxCLevel());

	if (!(w = calloc(1, sizeof *w)))
		return hwd__fail(err, HWD_E_NOMEM, ENOMEM, 0, NULL, "out of memory");
	w->fd = -1;
	/* The window cap keeps every reader's decoder memory bounded (docs/format.md). */
	if (o.compress_level &&
	    (!(w->zc = ZSTD_createCCtx()) ||
	     ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, o.compress_level)) ||
	     ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_windowLog, HWD_ZSTD_WINDOW_LOG_MAX)) ||
	     ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_contentSizeFlag, 1)))) {
		writer_free(w);
		return hwd__fail(err, HWD_E_NOMEM, ENOMEM, 0, NULL, "out of memory for the zstd compressor");
	}
	w->chunk_bytes = o.chunk_bytes;
	w->with_contents = !!o.with_contents;
	if (strcmp(path, "-") == 0) {
		w->to_stdout = 1;
		w->fd = STDOUT_FILENO;
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* Renaming onto a device or FIFO would replace it (as root, /dev/null included):
		 * such destinations are written in place, like standard output. */
		if (S_ISDIR(st.st_mode)) {
			writer_free(w);
			return hwd__fail(err, HWD_E_IO, EISDIR, 0, NULL, "%s is a directory", path);
		}
		w->special = 1;
		w->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (w->fd < 0) {
			int e = errno;
			hwd__fail(err, HWD_E_IO, e, 0, NULL, "cannot open %s for writing: %s", path, strerror(e));
			writer_free(w);
			return HWD_E_IO;
		}
	} else {
		char *dir = dir_of(path);
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		w->path = strdup(path);
		if (dir && w->path && asprintf(&w->tmp, "%s/.%s.tmp.XXXXXX", dir, base) < 0)
			w->tmp = NULL;
		free(dir);
		if (!w->path || !w->tmp) {
			writer_free(w);
			return hwd__fail(err, HWD_E_NOMEM, ENOMEM, 0, NULL, "out of memory");
		}
		/* mkostemp opens with O_CREAT|O_EXCL and mode 0600. */
		w->fd = mkostemp(w->tmp, O_CLOEXEC);
		if (w->fd < 0) {
			int e = errno;
			hwd__fail(err, HWD_E_IO, e, 0, NULL, "cannot create a temporary file next to %s: %s",
				  path, strerror(e));
			writer_free(w);
			return HWD_E_IO;
		}
	}

	w->out.fd = w->fd;
	hwd_put_le16(h + 8, HWD_VERSION_MAJOR);
	hwd_put_le16(h + 10, w->zc ? 1 : 0); /* the lowest minor with the features used */
	hwd_put_le32(h + 12, HWD_HEADER_SIZE);
	hwd_put_le32(h + 16, o.pointer_size);
	hwd_put_le32(h + 20, (w->with_contents ? HWD_FLAG_CONTENTS : 0) | (w->zc ? HWD_FLAG_COMPRESSED : 0));
	hwd_put_le64(h + 24, 0);
	/* The header is written at once, so that an output that cannot be written fails here. */
	if (write_all(w, h, sizeof h) || flush_out(w) ||
	    (o.producer && hwd_writer_meta_str(w, "producer", o.producer))) {
		if (err)
			*err = w->last;
		int code = w->last.code;
		discard(w);
		return code;
	}
	*out = w;
	return 0;
}

const hwd_error *hwd_writer_last_error(const hwd_writer *w)
{
	return &w->last;
}

uint32_t hwd_writer_string(hwd_writer *w, const char *s, size_t len)
{
	int added;
	uint8_t *p;
	if (w->failed)
		return 0;
	if (!s && len) {
		USAGE(w, "a NULL string of %zu bytes", len);
		return 0;
	}
	if (len > HWD_CHUNK_MAX - 32) { /* refused before interning, so that ids stay in step */
		hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "a %zu-byte string is over the chunk limit", len);
		return 0;
	}
	if (!s)
		s = "";
	uint32_t id = hwd__strtab_intern(&w->strings, s, len, &added);
	if (!id) {
		fail(w, HWD_E_NOMEM, 0, "interning a string failed (out of memory or ids)%s", "");
		return 0;
	}
	if (added) {
		if (!(p = reserve(w, HWD_CHUNK_STRINGS, 4 + len)))
			return 0;
		hwd_put_le32(p, (uint32_t)len);
		if (len)
			memcpy(p + 4, s, len);
	}
	return id;
}

uint32_t hwd_writer_type(hwd_writer *w, const char *name, uint64_t size, hwd_type_kind kind)
{
	int added;
	uint8_t *p;
	if ((unsigned)kind >= HWD_TYPE_KIND__COUNT) {
		USAGE(w, "type kind %u is not an hwd_type_kind", (unsigned)kind);
		return 0;
	}
	uint32_t name_id = name ? hwd_writer_cstring(w, name) : 0;
	if (name && !name_id)
		return 0;
	uint32_t id = hwd__typetab_intern(&w->types, name_id, size, kind, &added);
	if (!id) {
		fail(w, HWD_E_NOMEM, 0, "interning a type failed (out of memory or ids)%s", "");
		return 0;
	}
	if (added) {
		if (!(p = reserve(w, HWD_CHUNK_TYPES, sizeof(hwd_type_disk))))
			return 0;
		hwd_put_le64(p, size);
		hwd_put_le32(p + 8, name_id);
		hwd_put_le16(p + 12, (uint16_t)kind);
	}
	return id;
}

static int meta(hwd_writer *w, const char *key, hwd_meta_type type, const void *val, size_t len)
{
	size_t klen = key ? strlen(key) : 0;
	uint8_t *p;
	if (!klen || klen > UINT16_MAX)
		return USAGE(w, "a metadata key must be 1 to 65535 bytes");
	if (len > UINT32_MAX)
		return USAGE(w, "metadata value for %s is over 4 GiB", key);
	if (!(p = reserve(w, HWD_CHUNK_META, sizeof(hwd_meta_header) + klen + len)))
		return w->last.code;
	hwd_put_le16(p, (uint16_t)type);
	hwd_put_le16(p + 2, (uint16_t)klen);
	hwd_put_le32(p + 4, (uint32_t)len);
	memcpy(p + 8, key, klen);
	if (len)
		memcpy(p + 8 + klen, val, len);
	return 0;
}

int hwd_writer_meta_u64(hwd_writer *w, const char *key, uint64_t v)
{
	uint8_t b[8];
	hwd_put_le64(b, v);
	return meta(w, key, HWD_META_U64, b, 8);
}

int hwd_writer_meta_i64(hwd_writer *w, const char *key, int64_t v)
{
	uint8_t b[8];
	hwd_put_le64(b, (uint64_t)v);
	return meta(w, key, HWD_META_I64, b, 8);
}

int hwd_writer_meta_f64(hwd_writer *w, const char *key, double v)
{
	uint8_t b[8];
	uint64_t bits;
	memcpy(&bits, &v, 8);
	hwd_put_le64(b, bits);
	return meta(w, key, HWD_META_F64, b, 8);
}

int hwd_writer_meta_str(hwd_writer *w, const char *key, const char *v)
{
	if (!v)
		return USAGE(w, "metadata value for %s is NULL", key ? key : "(null)");
	return meta(w, key, HWD_META_STR, v, strlen(v));
}

#define CHECK_STRING(w, id, what)                                                                 \
	do {                                                                                      \
		if ((id) > (w)->strings.count)                                                    \
			return USAGE(w, "%s names string id %u, but only %u strings exist", what, \
				     (unsigned)(id), (w)->strings.count);                         \
	} while (0)

int hwd_writer_object(hwd_writer *w, const hwd_object *o)
{
	uint64_t n = w->total[HWD_CHUNK_OBJECTS];
	uint8_t *p;
	if (n >= HWD_MAX_OBJECTS)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "more than %u objects",
				 HWD_MAX_OBJECTS);
	if (n && o->addr <= w->last_addr)
		return USAGE(w, "object %llu at 0x%llx is not above the previous object at 0x%llx",
			     (unsigned long long)n, (unsigned long long)o->addr,
			     (unsigned long long)w->last_addr);
	if (n && o->addr < w->last_end)
		return USAGE(w, "object %llu at 0x%llx overlaps the previous object, which ends at 0x%llx",
			     (unsigned long long)n, (unsigned long long)o->addr,
			     (unsigned long long)w->last_end);
	if (o->addr + o->size < o->addr)
		return USAGE(w, "object %llu at 0x%llx of %llu bytes wraps around the address space",
			     (unsigned long long)n, (unsigned long long)o->addr, (unsigned long long)o->size);
	if (o->type > w->types.count)
		return USAGE(w, "object %llu names type id %u, but only %u types exist",
			     (unsigned long long)n, o->type, w->types.count);
	if (!(p = reserve(w, HWD_CHUNK_OBJECTS, sizeof(hwd_object_disk))))
		return w->last.code;
	hwd_put_le64(p, o->addr);
	hwd_put_le64(p + 8, o->size);
	hwd_put_le32(p + 16, o->type);
	hwd_put_le32(p + 20, o->flags);
	w->last_addr = o->addr;
	w->last_end = o->addr + o->size;
	return 0;
}

int hwd_writer_edge(hwd_writer *w, const hwd_edge *e)
{
	uint64_t n = w->total[HWD_CHUNK_OBJECTS];
	uint8_t *p;
	if (e->from >= n || e->to >= n)
		return USAGE(w, "edge %u -> %u names an object not added yet (%llu objects)", e->from,
			     e->to, (unsigned long long)n);
	if (w->total[HWD_CHUNK_EDGES] && e->from < w->last_from)
		return USAGE(w, "edge from object %u comes after edges from object %u (edges must be "
			     "in non-decreasing source order)", e->from, w->last_from);
	if ((e->info >> HWD_EDGE_KIND_SHIFT) >= HWD_EDGE_KIND__COUNT)
		return USAGE(w, "edge %u -> %u has kind %u, not an hwd_edge_kind", e->from, e->to,
			     e->info >> HWD_EDGE_KIND_SHIFT);
	CHECK_STRING(w, e->label, "an edge label");
	if (!(p = reserve(w, HWD_CHUNK_EDGES, sizeof(hwd_edge_disk))))
		return w->last.code;
	hwd_put_le32(p, e->from);
	hwd_put_le32(p + 4, e->to);
	hwd_put_le32(p + 8, e->label);
	hwd_put_le32(p + 12, e->info);
	w->last_from = e->from;
	return 0;
}

static void need(uint64_t *max, uint32_t index)
{
	if (index != HWD_NONE && (uint64_t)index + 1 > *max)
		*max = (uint64_t)index + 1;
}

int hwd_writer_root(hwd_writer *w, const hwd_root *r)
{
	uint8_t *p;
	if (r->object >= w->total[HWD_CHUNK_OBJECTS])
		return USAGE(w, "a root names object %u, but only %llu objects exist", r->object,
			     (unsigned long long)w->total[HWD_CHUNK_OBJECTS]);
	if (r->kind < 1 || r->kind >= HWD_ROOT_KIND__COUNT)
		return USAGE(w, "root kind %u is not an hwd_root_kind", r->kind);
	CHECK_STRING(w, r->name, "a root");
	if (!(p = reserve(w, HWD_CHUNK_ROOTS, sizeof(hwd_root_disk))))
		return w->last.code;
	hwd_put_le16(p, r->kind);
	hwd_put_le16(p + 2, r->flags);
	hwd_put_le32(p + 4, r->name);
	hwd_put_le32(p + 8, r->object);
	hwd_put_le32(p + 12, r->goroutine);
	hwd_put_le32(p + 16, r->frame);
	hwd_put_le64(p + 24, r->addr);
	need(&w->need_goroutines, r->goroutine);
	need(&w->need_frames, r->frame);
	return 0;
}

int hwd_writer_goroutine(hwd_writer *w, const hwd_goroutine *g)
{
	uint8_t *p;
	CHECK_STRING(w, g->state, "a goroutine state");
	CHECK_STRING(w, g->wait_reason, "a goroutine wait reason");
	CHECK_STRING(w, g->start_func, "a goroutine start function");
	CHECK_STRING(w, g->creator_func, "a goroutine creator function");
	CHECK_STRING(w, g->creator_file, "a goroutine creator file");
	if (g->first_frame == HWD_NONE ? g->nframes != 0
				       : (uint64_t)g->first_frame + g->nframes > HWD_NONE)
		return USAGE(w, "goroutine %llu has frames %u+%u", (unsigned long long)g->id,
			     g->first_frame, g->nframes);
	if (w->total[HWD_CHUNK_GOROUTINES] >= HWD_NONE)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "too many goroutines");
	if (!(p = reserve(w, HWD_CHUNK_GOROUTINES, sizeof(hwd_goroutine_disk))))
		return w->last.code;
	hwd_put_le64(p, g->id);
	hwd_put_le64(p + 8, (uint64_t)g->wait_ns);
	hwd_put_le64(p + 16, g->stack_bytes);
	hwd_put_le32(p + 24, g->state);
	hwd_put_le32(p + 28, g->wait_reason);
	hwd_put_le32(p + 32, g->start_func);
	hwd_put_le32(p + 36, g->creator_func);
	hwd_put_le32(p + 40, g->creator_file);
	hwd_put_le32(p + 44, g->creator_line);
	hwd_put_le32(p + 48, g->first_frame);
	hwd_put_le32(p + 52, g->nframes);
	if (g->nframes)
		w->need_frames = w->need_frames > (uint64_t)g->first_frame + g->nframes
			? w->need_frames : (uint64_t)g->first_frame + g->nframes;
	return 0;
}

int hwd_writer_frame(hwd_writer *w, const hwd_frame *f)
{
	uint8_t *p;
	CHECK_STRING(w, f->func, "a frame function");
	CHECK_STRING(w, f->file, "a frame file");
	if (w->total[HWD_CHUNK_FRAMES] >= HWD_NONE)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "too many frames");
	if (!(p = reserve(w, HWD_CHUNK_FRAMES, sizeof(hwd_frame_disk))))
		return w->last.code;
	hwd_put_le64(p, f->pc);
	hwd_put_le64(p + 8, f->sp);
	hwd_put_le32(p + 16, f->func);
	hwd_put_le32(p + 20, f->file);
	hwd_put_le32(p + 24, f->line);
	hwd_put_le32(p + 28, f->goroutine);
	need(&w->need_goroutines, f->goroutine);
	return 0;
}

int hwd_writer_thread(hwd_writer *w, const hwd_thread *t)
{
	uint8_t *p;
	CHECK_STRING(w, t->name, "a thread name");
	if (w->total[HWD_CHUNK_THREADS] >= HWD_NONE)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "too many threads");
	if (!(p = reserve(w, HWD_CHUNK_THREADS, sizeof(hwd_thread_disk))))
		return w->last.code;
	hwd_put_le64(p, t->goroutine_id);
	hwd_put_le64(p + 8, t->pc);
	hwd_put_le64(p + 16, t->sp);
	hwd_put_le32(p + 24, t->tid);
	hwd_put_le32(p + 28, t->name);
	return 0;
}

int hwd_writer_contents(hwd_writer *w, uint32_t object, const void *data, uint64_t len)
{
	uint8_t *p;
	if (!w->with_contents)
		return USAGE(w, "contents added to a writer opened without with_contents");
	if (object >= w->total[HWD_CHUNK_OBJECTS])
		return USAGE(w, "contents name object %u, but only %llu objects exist", object,
			     (unsigned long long)w->total[HWD_CHUNK_OBJECTS]);
	if (len > HWD_CHUNK_MAX - 32)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL,
				 "contents of object %u are %llu bytes, over the chunk limit", object,
				 (unsigned long long)len);
	if (!(p = reserve(w, HWD_CHUNK_CONTENTS, (size_t)(16 + len + hwd__pad8(len)))))
		return w->last.code;
	hwd_put_le32(p, object);
	hwd_put_le64(p + 8, len);
	if (len)
		memcpy(p + 16, data, (size_t)len);
	return 0;
}

int hwd_writer_alloc_frame(hwd_writer *w, const hwd_alloc_frame *f)
{
	uint8_t *p;
	CHECK_STRING(w, f->func, "an allocation frame function");
	CHECK_STRING(w, f->file, "an allocation frame file");
	if (w->total[HWD_CHUNK_ALLOC_FRAMES] >= HWD_NONE)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "too many allocation frames");
	if (!(p = reserve(w, HWD_CHUNK_ALLOC_FRAMES, sizeof(hwd_alloc_frame_disk))))
		return w->last.code;
	hwd_put_le64(p, f->pc);
	hwd_put_le32(p + 8, f->func);
	hwd_put_le32(p + 12, f->file);
	hwd_put_le32(p + 16, f->line);
	return 0;
}

int hwd_writer_alloc_stack(hwd_writer *w, const hwd_alloc_stack *s)
{
	uint8_t *p;
	if (s->nframes > HWD_ALLOC_MAX_FRAMES ||
	    (uint64_t)s->first_frame + s->nframes > w->total[HWD_CHUNK_ALLOC_FRAMES])
		return USAGE(w, "an allocation stack names frames %u+%u, but only %llu frames were added "
			     "(and a stack has at most %u)", s->first_frame, s->nframes,
			     (unsigned long long)w->total[HWD_CHUNK_ALLOC_FRAMES], HWD_ALLOC_MAX_FRAMES);
	if (w->total[HWD_CHUNK_ALLOC_STACKS] >= HWD_NONE)
		return hwd__fail(&w->last, HWD_E_LIMIT, 0, w->out.off, NULL, "too many allocation stacks");
	if (!(p = reserve(w, HWD_CHUNK_ALLOC_STACKS, sizeof(hwd_alloc_stack_disk))))
		return w->last.code;
	hwd_put_le64(p, s->size);
	hwd_put_le32(p + 8, s->first_frame);
	hwd_put_le32(p + 12, s->nframes);
	return 0;
}

int hwd_alloc_sample_cmp(const void *a, const void *b)
{
	const hwd_alloc_sample *x = a, *y = b;
	if (x->object != y->object)
		return x->object < y->object ? -1 : 1;
	return (x->stack > y->stack) - (x->stack < y->stack);
}

int hwd_writer_alloc_sample(hwd_writer *w, const hwd_alloc_sample *s)
{
	uint8_t *p;
	if (s->object >= w->total[HWD_CHUNK_OBJECTS] || s->stack >= w->total[HWD_CHUNK_ALLOC_STACKS])
		return USAGE(w, "an allocation sample names object %u and stack %u, but only %llu objects "
			     "and %llu stacks were added", s->object, s->stack,
			     (unsigned long long)w->total[HWD_CHUNK_OBJECTS],
			     (unsigned long long)w->total[HWD_CHUNK_ALLOC_STACKS]);
	if (w->total[HWD_CHUNK_ALLOC_SAMPLES] && s->object < w->last_sample)
		return USAGE(w, "an allocation sample of object %u comes after one of object %u (samples "
			     "must be in non-decreasing object order)", s->object, w->last_sample);
	if (!(p = reserve(w, HWD_CHUNK_ALLOC_SAMPLES, sizeof(hwd_alloc_sample_disk))))
		return w->last.code;
	hwd_put_le32(p, s->object);
	hwd_put_le32(p + 4, s->stack);
	w->last_sample = s->object;
	return 0;
}

static int write_end(hwd_writer *w)
{
	static const uint32_t order[] = { HWD_CHUNK_STRINGS, HWD_CHUNK_TYPES, HWD_CHUNK_OBJECTS,
					  HWD_CHUNK_EDGES, HWD_CHUNK_ROOTS, HWD_CHUNK_GOROUTINES,
					  HWD_CHUNK_FRAMES, HWD_CHUNK_THREADS, HWD_CHUNK_CONTENTS,
					  HWD_CHUNK_META, HWD_CHUNK_ALLOC_FRAMES, HWD_CHUNK_ALLOC_STACKS,
					  HWD_CHUNK_ALLOC_SAMPLES };
	enum { N_1_1 = 10 }; /* totals in the 1.1 END; the allocation-site ones follow (1.2) */
	uint8_t end[sizeof(hwd_end_disk_1_2)];
	size_t n = sizeof order / sizeof order[0];
	int rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = flush(w, order[i])))
			return rc;
	/* Without allocation sites the END stays the 1.1 one, so such a file is unchanged. */
	if (!w->total[HWD_CHUNK_ALLOC_FRAMES] && !w->total[HWD_CHUNK_ALLOC_STACKS] &&
	    !w->total[HWD_CHUNK_ALLOC_SAMPLES])
		n = N_1_1;
	hwd_put_le64(end, w->chunks);
	for (size_t i = 0; i < n; i++)
		hwd_put_le64(end + 8 + 8 * i, w->total[order[i]]);
	return write_chunk(w, HWD_CHUNK_END, NULL, 0, end, 8 + 8 * n);
}

static int sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd, rc = 0;
	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

int hwd_writer_finish(hwd_writer *w, hwd_error *err)
{
	int rc;
	if (!w)
		return hwd__fail(err, HWD_E_USAGE, 0, 0, NULL, "hwd_writer_finish(NULL)");
	if (w->need_goroutines > w->total[HWD_CHUNK_GOROUTINES] ||
	    w->need_frames > w->total[HWD_CHUNK_FRAMES]) {
		rc = hwd__fail(err, HWD_E_USAGE, 0, w->out.off, NULL,
			       "records name goroutine index %llu and frame index %llu, but only %llu "
			       "goroutines and %llu frames were added",
			       (unsigned long long)w->need_goroutines - 1,
			       (unsigned long long)w->need_frames - 1,
			       (unsigned long long)w->total[HWD_CHUNK_GOROUTINES],
			       (unsigned long long)w->total[HWD_CHUNK_FRAMES]);
		discard(w);
		return rc;
	}
	if ((rc = write_end(w)) || (rc = flush_out(w)))
		goto failed;
	if (w->to_stdout || w->special) {
		/* A pipe cannot be synced; a regular file redirected from the shell can. */
		if (fsync(w->fd) < 0 && errno != EINVAL && errno != EROFS) {
			rc = fail_io(w, errno, "syncing the snapshot");
			goto failed;
		}
		if (w->special && close(w->fd) < 0) {
			w->fd = -1;
			rc = fail_io(w, errno, "closing the snapshot");
			goto failed;
		}
		if (w->special)
			w->fd = -1;
		writer_free(w);
		return 0;
	}
	if (fchmod(w->fd, 0600) < 0 || fsync(w->fd) < 0) {
		rc = fail_io(w, errno, "syncing the snapshot");
		goto failed;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		unlink(w->tmp);
		rc = fail_io(w, errno, "closing the snapshot");
		goto failed;
	}
	w->fd = -1;
	if (rename(w->tmp, w->path) < 0) {
		int e = errno;
		unlink(w->tmp);
		rc = fail(w, HWD_E_IO, e, "renaming the snapshot into place (%s) failed: %s", w->path);
		goto failed;
	}
	if (sync_dir(w->path) < 0) {
		/* The file is in place; only its durability is in doubt. */
		rc = fail_io(w, errno, "syncing the snapshot's directory");
		if (err)
			*err = w->failure;
		writer_free(w);
		return rc;
	}
	writer_free(w);
	return 0;
failed:
	if (err)
		*err = w->failure.code ? w->failure : w->last;
	discard(w);
	return rc;
}

void hwd_writer_abort(hwd_writer *w)
{
	if (w)
		discard(w);
}
