/* testutil.h - helpers for the dumpfmt tests: scratch directories, whole-file reads, and a
 * byte-level snapshot builder that knows the layout only from docs/format.md.
 *
 * The builder shares no code with dumpfmt except hwd_crc32c (itself checked against the
 * standard check value in test-crc32c.c), so files it builds test the reader and the writer
 * against the spec rather than against each other.
 */
#ifndef HWD_TESTUTIL_H
#define HWD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "hwd.h"

/* A fresh private directory under $TMPDIR (or /tmp); remove with rm_dir(). */
static inline char *make_dir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *t = NULL;
	assert_true(asprintf(&t, "%s/hwd-test.XXXXXX", base) > 0);
	assert_non_null(mkdtemp(t));
	return t;
}

/* Number of entries in `dir` other than . and .. */
static inline int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static inline void rm_dir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = NULL;
		assert_true(asprintf(&p, "%s/%s", dir, e->d_name) > 0);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

static inline uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n ? (size_t)n : 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* ---- raw builder ------------------------------------------------------------------------ */

typedef struct raw {
	uint8_t *b;
	size_t len, cap;
	size_t chunk;   /* offset of the open chunk's header, or SIZE_MAX */
} raw;

static inline void raw_bytes(raw *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2 + 64;
		r->b = realloc(r->b, r->cap);
		assert_non_null(r->b);
	}
	memcpy(r->b + r->len, p, n);
	r->len += n;
}
static inline void raw_u8(raw *r, uint8_t v) { raw_bytes(r, &v, 1); }
static inline void raw_u16(raw *r, uint16_t v) { raw_u8(r, v & 0xff); raw_u8(r, v >> 8); }
static inline void raw_u32(raw *r, uint32_t v) { raw_u16(r, v & 0xffff); raw_u16(r, v >> 16); }
static inline void raw_u64(raw *r, uint64_t v) { raw_u32(r, (uint32_t)v); raw_u32(r, v >> 32); }

/* The 32-byte header of docs/format.md. */
static inline void raw_header(raw *r, uint16_t major, uint16_t minor, uint32_t header_size,
			      uint32_t ptr, uint32_t flags)
{
	r->chunk = SIZE_MAX;
	raw_bytes(r, "HWSNAP\x1a\n", 8);
	raw_u16(r, major);
	raw_u16(r, minor);
	raw_u32(r, header_size);
	raw_u32(r, ptr);
	raw_u32(r, flags);
	raw_u64(r, 0);
	while (r->len < header_size)
		raw_u8(r, 0xAB); /* later-minor header bytes: must be skipped */
}

/* Starts a chunk; its CRC and length are filled in by raw_end_chunk(). */
static inline void raw_chunk(raw *r, uint32_t kind)
{
	r->chunk = r->len;
	raw_u32(r, kind);
	raw_u32(r, 0);
	raw_u64(r, 0);
}

static inline void raw_end_chunk(raw *r)
{
	size_t p = r->chunk + 16, n = r->len - p;
	uint32_t crc = hwd_crc32c(0, r->b + p, n);
	for (int i = 0; i < 4; i++)
		r->b[r->chunk + 4 + i] = (uint8_t)(crc >> (8 * i));
	for (int i = 0; i < 8; i++)
		r->b[r->chunk + 8 + i] = (uint8_t)((uint64_t)n >> (8 * i));
	while (r->len % 8)
		raw_u8(r, 0);
	r->chunk = SIZE_MAX;
}

/* END chunk with the given totals: chunks, strings, types, objects, edges, roots, goroutines,
 * frames, threads, contents, meta. */
static inline void raw_end(raw *r, const uint64_t totals[11])
{
	raw_chunk(r, 11);
	for (int i = 0; i < 11; i++)
		raw_u64(r, totals[i]);
	raw_end_chunk(r);
}

#endif
