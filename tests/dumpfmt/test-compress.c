/* test-compress.c - compressed chunks (format 1.1): cuts, lies, bombs and old files.
 *
 * Compressed files are made two ways: by the writer (compress_level), and by pack() below,
 * which turns a plain file into a compressed one chunk by chunk from docs/format.md using
 * libzstd directly. Damage is done on the plain payload and then packed, so that it reaches
 * the checks behind the decompressor; frames are also hand-edited or hand-built to lie about
 * their sizes. The oracle for what survives a cut is the plain file with the same chunking:
 * stored chunk k of the compressed file is chunk k of the plain one.
 */
#include <zstd.h>

#include "testutil.h"
#include "hwd-format.h"
#include "inflate-ahead.h"

/* ---- files ------------------------------------------------------------------------------ */

static void fill(hwd_writer *w, uint32_t nobj)
{
	uint32_t t1 = hwd_writer_type(w, "T1", 16, HWD_TYPE_STRUCT);
	uint32_t t2 = hwd_writer_type(w, "T2", 32, HWD_TYPE_MAP);
	hwd_writer_meta_u64(w, "pid", 7);
	for (uint32_t i = 0; i < nobj; i++) {
		hwd_object ob = { 0xc000000000ull + i * 64, 16 + i % 40, i % 2 ? t1 : t2, 0 };
		assert_int_equal(hwd_writer_object(w, &ob), 0);
	}
	for (uint32_t i = 0; i < nobj; i++) {
		hwd_edge e = { i, (i * 7) % nobj, i % 3 ? hwd_writer_cstring(w, i % 2 ? "next" : "prev") : 0, 0 };
		assert_int_equal(hwd_writer_edge(w, &e), 0);
	}
	for (uint32_t i = 0; i < 8; i++) {
		hwd_root rt = { HWD_ROOT_GLOBAL, 0, 0, i * 5, HWD_NONE, HWD_NONE, 0, 0x9000 + i };
		assert_int_equal(hwd_writer_root(w, &rt), 0);
	}
}

/* Writes the fixture with the writer and returns the file's bytes. */
static uint8_t *written(uint32_t nobj, uint32_t chunk_bytes, int level, size_t *len)
{
	char *dir = make_dir(), path[600];
	snprintf(path, sizeof path, "%s/c.hwd", dir);
	hwd_writer_options o = { .producer = "compress test", .chunk_bytes = chunk_bytes, .compress_level = level };
	hwd_writer *w;
	assert_int_equal(hwd_writer_open(path, &o, &w, NULL), 0);
	fill(w, nobj);
	assert_int_equal(hwd_writer_finish(w, NULL), 0);
	uint8_t *b = read_all(path, len);
	unlink(path);
	rm_dir(dir);
	return b;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Offset of chunk number k (0-based) in a file, by its framing. */
static size_t chunk_off(const uint8_t *b, size_t k)
{
	size_t off = 32;
	while (k--) {
		uint64_t plen = le(b + off + 8, 8);
		off += 16 + plen + (8 - plen % 8) % 8;
	}
	return off;
}

/* Packs a plain file: every chunk but END becomes a compressed chunk (header flag bit 1,
 * minor 1, kind bit 31, {codec 1, 0, raw_len} + one zstd frame, CRC of the stored payload). */
static uint8_t *pack(const uint8_t *plain, size_t len, size_t *out_len)
{
	raw r = { 0 };
	raw_bytes(&r, plain, 32);
	put(r.b + 10, 1, 2);
	put(r.b + 20, le(r.b + 20, 4) | 2, 4);
	size_t off = 32;
	while (off < len) {
		uint32_t kind = (uint32_t)le(plain + off, 4);
		uint64_t plen = le(plain + off + 8, 8);
		const uint8_t *p = plain + off + 16;
		if (kind == 11) {
			raw_bytes(&r, plain + off, len - off);
			break;
		}
		size_t cap = ZSTD_compressBound(plen);
		uint8_t *z = malloc(cap);
		size_t zl = ZSTD_compress(z, cap, p, plen, 3);
		assert_false(ZSTD_isError(zl));
		raw_chunk(&r, kind | 0x80000000u);
		raw_u32(&r, 1);
		raw_u32(&r, 0);
		raw_u64(&r, plen);
		raw_bytes(&r, z, zl);
		raw_end_chunk(&r);
		free(z);
		off += 16 + plen + (8 - plen % 8) % 8;
	}
	*out_len = r.len;
	return r.b;
}

/* Recomputes the CRC of the chunk at `off` after its payload was edited. */
static void recrc(uint8_t *b, size_t off)
{
	put(b + off + 4, hwd_crc32c(0, b + off + 16, le(b + off + 8, 8)), 4);
}

static int open_mem(const uint8_t *b, size_t len, unsigned flags, hwd_reader **r, hwd_error *err)
{
	memset(err, 0, sizeof *err);
	return hwd_reader_open_memory(b, len, flags, r, err);
}

/* Expects `code` at `off` naming `field`, from the reader and from the checker. */
static void expect_err(const uint8_t *b, size_t len, int code, uint64_t off, const char *field)
{
	hwd_reader *r;
	hwd_error err, cerr;
	int rc = open_mem(b, len, 0, &r, &err);
	if (rc != code)
		fail_msg("expected %s, got %s: %s", hwd_strerror(code), hwd_strerror(rc), err.message);
	assert_null(r);
	if (!err.field || strcmp(err.field, field))
		fail_msg("field %s, expected %s (%s)", err.field ? err.field : "NULL", field, err.message);
	if (err.offset != off)
		fail_msg("offset 0x%llx, expected 0x%llx (%s)", (unsigned long long)err.offset,
			 (unsigned long long)off, err.message);
	assert_int_equal(hwd_check_memory(b, len, NULL, NULL, &cerr), code);
	assert_int_equal(cerr.offset, off);
}

/* Compares everything two readers hold. */
static void same_records(hwd_reader *a, hwd_reader *b)
{
	assert_int_equal(hwd_reader_object_count(a), hwd_reader_object_count(b));
	assert_int_equal(hwd_reader_edge_count(a), hwd_reader_edge_count(b));
	assert_int_equal(hwd_reader_root_count(a), hwd_reader_root_count(b));
	assert_int_equal(hwd_reader_string_count(a), hwd_reader_string_count(b));
	assert_int_equal(hwd_reader_type_count(a), hwd_reader_type_count(b));
	for (uint32_t i = 0; i < hwd_reader_object_count(a); i++) {
		hwd_object x = hwd_reader_object(a, i), y = hwd_reader_object(b, i);
		assert_memory_equal(&x, &y, sizeof x);
	}
	for (uint64_t i = 0; i < hwd_reader_edge_count(a); i++) {
		hwd_edge x = hwd_reader_edge(a, i), y = hwd_reader_edge(b, i);
		assert_memory_equal(&x, &y, sizeof x);
	}
	for (uint64_t i = 0; i < hwd_reader_root_count(a); i++) {
		hwd_root x = hwd_reader_root(a, i), y = hwd_reader_root(b, i);
		assert_memory_equal(&x, &y, sizeof x);
	}
	for (uint32_t id = 1; id <= hwd_reader_string_count(a); id++) {
		uint32_t la, lb;
		const char *sa = hwd_reader_string(a, id, &la), *sb = hwd_reader_string(b, id, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(sa, sb, la);
	}
}

/* ---- tests ------------------------------------------------------------------------------ */

/* The writer's compressed file and pack()'s, from the same plain chunks, read the same. */
static void test_writer_and_spec_agree(void **state)
{
	(void)state;
	size_t plen, wlen, klen;
	uint8_t *plain = written(2000, 4096, 0, &plen), *wz = written(2000, 4096, 3, &wlen);
	uint8_t *packed = pack(plain, plen, &klen);
	assert_int_equal(le(wz + 10, 2), 1);
	assert_int_equal(le(wz + 20, 4) & 2, 2);
	assert_true(wlen < plen / 2);
	hwd_reader *a, *b, *c;
	hwd_error err;
	assert_int_equal(open_mem(plain, plen, HWD_OPEN_STRICT, &a, &err), 0);
	assert_int_equal(open_mem(wz, wlen, HWD_OPEN_STRICT, &b, &err), 0);
	assert_int_equal(open_mem(packed, klen, HWD_OPEN_STRICT, &c, &err), 0);
	assert_int_equal(hwd_reader_object_count(a), 2000);
	same_records(a, b);
	same_records(a, c);
	hwd_run run;
	for (uint64_t k = 0; hwd_reader_object_run(b, k, &run); k++)
		assert_int_equal((uintptr_t)run.records % 8, 0);
	hwd_reader_close(a);
	hwd_reader_close(b);
	hwd_reader_close(c);
	free(plain);
	free(wz);
	free(packed);
}

/* Records of each kind (STRINGS..THREADS) in the first k chunks of a plain file. */
static void records_in(const uint8_t *plain, size_t k, uint64_t count[16])
{
	memset(count, 0, 16 * sizeof count[0]);
	for (size_t i = 0; i < k; i++) {
		size_t off = chunk_off(plain, i);
		uint32_t kind = (uint32_t)le(plain + off, 4);
		if (kind == 2)
			count[kind] += le(plain + off + 16 + 4, 4);
		else if (kind >= 3 && kind <= 9)
			count[kind] += le(plain + off + 16 + 8, 8);
	}
}

static void test_every_cut(void **state)
{
	(void)state;
	size_t plen, zlen;
	uint8_t *plain = written(300, 1024, 0, &plen), *z = written(300, 1024, 3, &zlen);
	size_t nchunks = 0, compressed = 0, ends[64];
	for (size_t off = 32; off < zlen; nchunks++) { /* stored chunk ends, by framing */
		uint64_t n = le(z + off + 8, 8);
		compressed += le(z + off, 4) >> 31;
		off += 16 + n + (8 - n % 8) % 8;
		assert_true(nchunks < 64);
		ends[nchunks] = off;
	}
	assert_true(compressed >= 4);
	assert_int_equal(chunk_off(plain, nchunks), plen); /* the same chunking */
	for (size_t cut = 0; cut <= zlen; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, z, cut);
		hwd_reader *r;
		hwd_error err;
		int rc = open_mem(copy, cut, 0, &r, &err);
		if (cut < 32) {
			assert_int_equal(rc, HWD_E_TRUNCATED);
			free(copy);
			continue;
		}
		if (rc)
			fail_msg("cut %zu: %s", cut, err.message);
		size_t whole = 0;
		while (whole < nchunks && ends[whole] <= cut)
			whole++;
		uint64_t c[16];
		records_in(plain, whole, c);
		const hwd_damage *d = hwd_reader_damage(r);
		assert_int_equal(d->partial, cut < zlen);
		assert_int_equal(d->chunks_read, whole);
		assert_int_equal(hwd_reader_string_count(r), c[2]);
		assert_int_equal(hwd_reader_type_count(r), c[3]);
		assert_int_equal(hwd_reader_object_count(r), c[4]);
		assert_int_equal(hwd_reader_edge_count(r), c[5] - d->edges_dropped);
		assert_int_equal(hwd_reader_root_count(r), c[6] - d->roots_dropped);
		if (cut < zlen) {
			assert_int_equal(d->cause, HWD_E_TRUNCATED);
			assert_int_equal(d->offset, whole ? ends[whole - 1] : 32); /* a stored offset */
			assert_int_equal(d->bytes_lost, cut - d->offset);
		}
		for (uint32_t i = 0; i < hwd_reader_object_count(r); i++)
			assert_int_equal(hwd_reader_object(r, i).addr, 0xc000000000ull + i * 64);
		hwd_reader_close(r);
		assert_int_equal(open_mem(copy, cut, HWD_OPEN_STRICT, &r, &err), cut == zlen ? 0 : HWD_E_TRUNCATED);
		hwd_reader_close(r);
		assert_int_equal(hwd_check_memory(copy, cut, NULL, NULL, &err), cut == zlen ? 0 : HWD_E_TRUNCATED);
		free(copy);
	}
	free(plain);
	free(z);
}

static void count_chunks(const hwd_check_chunk *ch, void *user)
{
	(void)ch;
	(*(uint64_t *)user)++;
}

/* A corrupt frame behind a valid CRC is corruption at its chunk; salvage keeps what precedes. */
static void test_corrupt_frame(void **state)
{
	(void)state;
	size_t plen, zlen;
	uint8_t *plain = written(300, 1024, 0, &plen), *z = pack(plain, plen, &zlen);
	size_t c = chunk_off(z, 3); /* an OBJECTS chunk */
	assert_int_equal(le(z + c, 4), 0x80000004u);
	uint64_t n = le(z + c + 8, 8);
	for (uint64_t i = 16 + 8; i < n; i += 7) /* scramble the frame after its header */
		z[c + 16 + i] ^= 0x5A;
	recrc(z, c);
	expect_err(z, zlen, HWD_E_CORRUPT, c, "compress.frame");
	hwd_reader *r;
	hwd_error err;
	assert_int_equal(open_mem(z, zlen, HWD_OPEN_SALVAGE, &r, &err), 0);
	assert_int_equal(hwd_reader_damage(r)->cause, HWD_E_CORRUPT);
	assert_int_equal(hwd_reader_damage(r)->offset, c);
	assert_int_equal(hwd_reader_damage(r)->chunks_read, 3);
	hwd_reader_close(r);

	/* a bad CRC: listed by the checker, which goes on to list every later chunk */
	uint64_t listed = 0;
	free(z);
	z = pack(plain, plen, &zlen);
	z[c + 40] ^= 1;
	assert_int_equal(hwd_check_memory(z, zlen, NULL, NULL, &err), HWD_E_CORRUPT);
	assert_int_equal(err.offset, c + 4);
	assert_string_equal(err.field, "chunk.crc32c");
	size_t total = 0;
	for (size_t off = 32; off < zlen; total++)
		off = chunk_off(z, total + 1);
	assert_int_equal(hwd_check_memory(z, zlen, count_chunks, &listed, &err), HWD_E_CORRUPT);
	assert_int_equal(listed, total);
	free(plain);
	free(z);
}

/* A record fault inside a compressed payload names the stored chunk and the inflated position. */
static void test_record_fault_inside(void **state)
{
	(void)state;
	size_t plen, zlen;
	uint8_t *plain = written(300, 1024, 0, &plen);
	size_t c = chunk_off(plain, 3);
	assert_int_equal(le(plain + c, 4), 4);
	put(plain + c + 32 + 24, 0x10, 8); /* object 1 below object 0 */
	recrc(plain, c);
	uint8_t *z = pack(plain, plen, &zlen);
	hwd_reader *r;
	hwd_error err;
	assert_int_equal(open_mem(z, zlen, 0, &r, &err), HWD_E_CORRUPT);
	assert_string_equal(err.field, "object.addr");
	assert_int_equal(err.offset, chunk_off(z, 3));
	assert_non_null(strstr(err.message, "40 bytes into the payload of the compressed OBJECTS chunk"));
	free(plain);
	free(z);
}

/* The compression header's raw_len and the frame's content size must agree and be honest. */
static void test_size_lies(void **state)
{
	(void)state;
	size_t plen, zlen;
	uint8_t *plain = written(300, 1024, 0, &plen), *z = pack(plain, plen, &zlen);
	size_t c = chunk_off(z, 3);
	uint64_t raw_len = le(z + c + 24, 8);
	uint8_t *copy = malloc(zlen);
	for (int d = -8; d <= 8; d += 16) { /* raw_len alone lies */
		memcpy(copy, z, zlen);
		put(copy + c + 24, raw_len + (uint64_t)(int64_t)d, 8);
		recrc(copy, c);
		expect_err(copy, zlen, HWD_E_CORRUPT, c + 24, "compress.raw_len");
	}
	/* both lie: the frame header's content size edited too (single-segment frame with a
	 * 2-byte size field holding size - 256) */
	const uint8_t *frame = z + c + 32;
	assert_int_equal(le(frame, 4), 0xFD2FB528u);
	assert_int_equal(frame[4], 0x60); /* FCS 2 bytes, single segment, no checksum/dict */
	for (int d = -8; d <= 8; d += 16) {
		memcpy(copy, z, zlen);
		put(copy + c + 24, raw_len + (uint64_t)(int64_t)d, 8);
		put(copy + c + 32 + 5, raw_len + (uint64_t)(int64_t)d - 256, 2);
		recrc(copy, c);
		expect_err(copy, zlen, HWD_E_CORRUPT, c, "compress.frame");
	}
	/* a frame that does not declare its size */
	memcpy(copy, z, zlen);
	size_t zl;
	uint8_t small[64];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ZSTD_outBuffer o = { small, sizeof small, 0 };
	ZSTD_inBuffer in = { "abc", 3, 0 };
	zl = ZSTD_compressStream2(cc, &o, &in, ZSTD_e_end);
	assert_int_equal(zl, 0);
	ZSTD_freeCCtx(cc);
	raw f = { 0 };
	raw_bytes(&f, z, chunk_off(z, 1)); /* header and the first chunk */
	raw_chunk(&f, 0x80000063u);        /* an unknown kind, compressed */
	raw_u32(&f, 1);
	raw_u32(&f, 0);
	raw_u64(&f, 3);
	raw_bytes(&f, small, o.pos);
	raw_end_chunk(&f);
	expect_err(f.b, f.len, HWD_E_CORRUPT, chunk_off(z, 1), "compress.frame");
	/* an unknown codec needs a newer reader */
	put(f.b + chunk_off(z, 1) + 16, 2, 4);
	recrc(f.b, chunk_off(z, 1));
	expect_err(f.b, f.len, HWD_E_VERSION, chunk_off(z, 1) + 16, "compress.codec");
	/* a compressed chunk in a file that does not announce compression */
	memcpy(copy, z, zlen);
	put(copy + 20, 0, 4);
	expect_err(copy, zlen, HWD_E_CORRUPT, 32, "chunk.kind");
	free(f.b);
	free(copy);
	free(plain);
	free(z);
}

/* Tiny payloads declaring huge sizes are refused before the decoder allocates anything. */
static void test_bombs(void **state)
{
	(void)state;
	size_t plen;
	uint8_t *plain = written(50, 0, 0, &plen);
	size_t first = chunk_off(plain, 1);
	for (int variant = 0; variant < 2; variant++) {
		raw f = { 0 };
		raw_bytes(&f, plain, first); /* header and META */
		put(f.b + 20, 2, 4);
		raw_chunk(&f, 0x80000002u);
		raw_u32(&f, 1);
		raw_u32(&f, 0);
		/* a zstd frame: single segment, 4-byte content size, one RLE block of 128 KiB */
		uint64_t claim = variant ? (uint64_t)1 << 40 : 512u << 20;
		raw_u64(&f, claim);
		raw_u32(&f, 0xFD2FB528u);
		raw_u8(&f, 0xA0);
		raw_u32(&f, (uint32_t)claim);
		uint32_t bh = 1u | 1u << 1 | (128u << 10) << 3; /* last, RLE, size */
		raw_u8(&f, (uint8_t)bh);
		raw_u16(&f, (uint16_t)(bh >> 8));
		raw_u8(&f, 'A');
		raw_end_chunk(&f);
		if (variant) /* over the 1 GiB cap: refused at the declared size */
			expect_err(f.b, f.len, HWD_E_CORRUPT, first + 24, "compress.raw_len");
		else /* 512 MiB in one segment: over the decoder's 8 MiB window cap */
			expect_err(f.b, f.len, HWD_E_CORRUPT, first, "compress.frame");
		free(f.b);
	}
	free(plain);
}

/* A file written by the 1.0 writer (committed; tests/fuzz/gen-reader-seeds.c wrote it) reads
 * as it was written. */
/* The helper that inflates ahead (inflate-ahead.c) hands out exactly the plain payload of
 * every sound compressed chunk, in order, also when the walk skips some, and nothing for a
 * chunk whose frame does not inflate (the walk then inflates it itself and reports it). */
static void test_inflate_ahead(void **state)
{
	(void)state;
	size_t plen, zlen;
	uint8_t *plain = written(300, 1024, 0, &plen), *z = pack(plain, plen, &zlen);
	size_t nchunks = 0;
	while (chunk_off(z, nchunks) < zlen)
		nchunks++;
	assert_true(nchunks >= 6);
	for (int skip = 0; skip < 2; skip++) {
		hwd__ahead *a = hwd__ahead_start(z, zlen, 32);
		assert_non_null(a);
		for (size_t k = 0; k < nchunks; k++) {
			size_t c = chunk_off(z, k), len = 0;
			if (!(le(z + c, 4) >> 31) || (skip && k % 2))
				continue;
			const uint8_t *got = hwd__ahead_take(a, c, &len);
			size_t pc = chunk_off(plain, k);
			assert_non_null(got);
			assert_int_equal(len, le(plain + pc + 8, 8));
			assert_memory_equal(got, plain + pc + 16, len);
		}
		hwd__ahead_stop(a);
	}
	/* A scrambled frame (CRC made good again): nothing for it, the next chunk as usual. */
	size_t c = chunk_off(z, 3), n = le(z + c + 8, 8);
	for (uint64_t i = 16 + 8; i < n; i += 7)
		z[c + 16 + i] ^= 0x5A;
	recrc(z, c);
	hwd__ahead *a = hwd__ahead_start(z, zlen, 32);
	size_t len;
	assert_null(hwd__ahead_take(a, c, &len));
	size_t c4 = chunk_off(z, 4), p4 = chunk_off(plain, 4);
	const uint8_t *got = hwd__ahead_take(a, c4, &len);
	assert_non_null(got);
	assert_memory_equal(got, plain + p4 + 16, len);
	/* Stopping while the helper may still be waiting for room is fine. */
	hwd__ahead_stop(a);
	free(plain);
	free(z);
}

static void test_version_1_0_file(void **state)
{
	(void)state;
	const char *path = getenv("HWD_FIXTURE_1_0");
	assert_non_null(path);
	size_t len;
	uint8_t *b = read_all(path, &len);
	assert_int_equal(le(b + 10, 2), 0);
	hwd_reader *r;
	hwd_error err;
	if (open_mem(b, len, HWD_OPEN_STRICT, &r, &err))
		fail_msg("%s", err.message);
	assert_int_equal(hwd_reader_version_minor(r), 0);
	assert_int_equal(hwd_reader_object_count(r), 12);
	for (uint32_t i = 0; i < 12; i++) {
		hwd_object o = hwd_reader_object(r, i);
		assert_int_equal(o.addr, 0xc000000000ull + i * 48);
		assert_int_equal(o.size, 32 + (i % 3) * 8);
		assert_int_equal(o.flags, i % 5);
	}
	assert_int_equal(hwd_reader_edge_count(r), 12);
	for (uint32_t i = 0; i < 12; i++)
		assert_int_equal(hwd_reader_edge(r, i).to, (i + 1) % 12);
	uint64_t pid;
	assert_true(hwd_reader_meta_u64(r, "pid", &pid));
	assert_int_equal(pid, 1234);
	uint64_t clen;
	assert_memory_equal(hwd_reader_contents(r, 4, &clen), "abcdefg", 7);
	assert_int_equal(clen, 7);
	hwd_reader_close(r);
	free(b);
}

static void test_writer_level_checked(void **state)
{
	(void)state;
	hwd_writer *w;
	hwd_error err;
	hwd_writer_options o = { .compress_level = 1000 };
	assert_int_equal(hwd_writer_open("/nonexistent/x.hwd", &o, &w, &err), HWD_E_USAGE);
	assert_string_equal(err.field, "compress_level");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_and_spec_agree),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_corrupt_frame),
		cmocka_unit_test(test_record_fault_inside),
		cmocka_unit_test(test_size_lies),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_inflate_ahead),
		cmocka_unit_test(test_version_1_0_file),
		cmocka_unit_test(test_writer_level_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
