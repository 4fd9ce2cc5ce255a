/* gen-reader-seeds.c - writes the seed corpus of the reader fuzz target.
 *
 * Usage: gen-reader-seeds DIR. Writes small valid snapshots through the writer (every record
 * kind, allocation sites included, tiny chunks, metadata of each type, contents, an empty one, compressed ones) and
 * damaged copies of them (cut, bad CRC, huge length, newer version, trailing bytes, a
 * scrambled zstd frame behind a valid CRC). The output is committed
 * in tests/fuzz/corpus/reader/; rerun this only when the format changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwd.h"
#include "hwd-format.h"

static int write_tiny(const char *path, int contents, uint32_t chunk_bytes, int level)
{
	hwd_writer_options o = { .producer = "seed", .chunk_bytes = chunk_bytes, .with_contents = contents,
				 .compress_level = level };
	hwd_writer *w;
	if (hwd_writer_open(path, &o, &w, NULL))
		return -1;
	hwd_writer_meta_u64(w, "pid", 1234);
	hwd_writer_meta_i64(w, "pause_ns", -5);
	hwd_writer_meta_f64(w, "gc.percent", 100.0);
	hwd_writer_meta_str(w, "go.version", "go1.26");
	uint32_t t = hwd_writer_type(w, "main.T", 32, HWD_TYPE_STRUCT);
	uint32_t m = hwd_writer_type(w, "map.group[string]int", 136, HWD_TYPE_MAP);
	for (uint32_t i = 0; i < 12; i++) {
		hwd_object ob = { 0xc000000000ull + i * 48, 32 + (i % 3) * 8, i % 2 ? t : m, i % 5 };
		hwd_writer_object(w, &ob);
	}
	for (uint32_t i = 0; i < 12; i++) {
		hwd_edge e = { i, (i + 1) % 12, hwd_writer_cstring(w, i % 2 ? "next" : "v"),
			       hwd_edge_info((hwd_edge_kind)(i % HWD_EDGE_KIND__COUNT), i * 8) };
		hwd_writer_edge(w, &e);
	}
	hwd_frame f = { 0x401000, 0xc000800f00ull, hwd_writer_cstring(w, "main.main"),
			hwd_writer_cstring(w, "/src/main.go"), 12, 0 };
	hwd_writer_frame(w, &f);
	hwd_goroutine g = { .id = 1, .wait_ns = -1, .stack_bytes = 8192, .state = hwd_writer_cstring(w, "running"),
			    .start_func = f.func, .first_frame = 0, .nframes = 1 };
	hwd_writer_goroutine(w, &g);
	hwd_root r1 = { HWD_ROOT_GLOBAL, 0, hwd_writer_cstring(w, "main.registry"), 0, HWD_NONE, HWD_NONE, 0, 0x5a0000 };
	hwd_root r2 = { HWD_ROOT_STACK, HWD_ROOT_CONSERVATIVE, 0, 5, 0, 0, 0, 0xc000800f08ull };
	hwd_writer_root(w, &r1);
	hwd_writer_root(w, &r2);
	hwd_thread th = { 1, 0x401000, 0xc000800f00ull, 4242, hwd_writer_cstring(w, "m0") };
	hwd_writer_thread(w, &th);
	if (contents)
		for (uint32_t i = 0; i < 12; i += 4)
			hwd_writer_contents(w, i, "abcdefghijklmnopqrstuvwxyz", 3 + i);
	/* allocation sites (1.2): two stacks over three frames, samples with a repeated object */
	for (uint32_t i = 0; i < 3; i++) {
		hwd_alloc_frame af = { 0x401000 + i, f.func, f.file, 10 + i };
		hwd_writer_alloc_frame(w, &af);
	}
	hwd_writer_alloc_stack(w, &(hwd_alloc_stack){ 48, 0, 2 });
	hwd_writer_alloc_stack(w, &(hwd_alloc_stack){ 16, 1, 2 });
	for (uint32_t i = 0; i < 12; i += 2)
		hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ i - i % 4, i % 4 ? 1 : 0 });
	hwd_writer_meta_u64(w, "memprof.rate", 1);
	return hwd_writer_finish(w, NULL);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len + 64);
	if (b && fread(b, 1, *len, f) != *len) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int spit(const char *dir, const char *name, const void *b, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, len, f) != len) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

/* Offset of the first chunk of `kind`, walking the framing; 0 if none. */
static size_t find_chunk(const unsigned char *b, size_t len, uint32_t kind)
{
	size_t off = HWD_HEADER_SIZE;
	while (off + HWD_CHUNK_HEADER_SIZE <= len) {
		uint64_t plen = hwd_get_le64(b + off + 8);
		if (hwd_get_le32(b + off) == kind)
			return off;
		off += HWD_CHUNK_HEADER_SIZE + plen + (8 - plen % 8) % 8;
	}
	return 0;
}

/* Makes the CRC of the chunk at `off` match its (edited) payload again. */
static void recrc(unsigned char *b, size_t off)
{
	uint64_t plen = hwd_get_le64(b + off + 8);
	hwd_put_le32(b + off + 4, hwd_crc32c(0, b + off + HWD_CHUNK_HEADER_SIZE, (size_t)plen));
}

int main(int argc, char **argv)
{
	char path[4096];
	size_t len;
	unsigned char *b, *c;
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	snprintf(path, sizeof path, "%s/valid-tiny-chunks.hwd", dir);
	if (write_tiny(path, 1, 64, 0))
		return 1;
	snprintf(path, sizeof path, "%s/valid-one-chunk-per-kind.hwd", dir);
	if (write_tiny(path, 0, 0, 0))
		return 1;
	snprintf(path, sizeof path, "%s/valid-compressed.hwd", dir);
	if (write_tiny(path, 1, 256, 3))
		return 1;
	snprintf(path, sizeof path, "%s/valid-compressed-one-chunk-per-kind.hwd", dir);
	if (write_tiny(path, 0, 0, 19))
		return 1;
	hwd_writer *w;
	snprintf(path, sizeof path, "%s/valid-empty.hwd", dir);
	if (hwd_writer_open(path, NULL, &w, NULL) || hwd_writer_finish(w, NULL))
		return 1;

	snprintf(path, sizeof path, "%s/valid-tiny-chunks.hwd", dir);
	if (!(b = slurp(path, &len)) || !(c = malloc(len + 64)))
		return 1;
	/* damaged copies */
	if (spit(dir, "cut-half.hwd", b, len / 2) || spit(dir, "cut-before-end.hwd", b, len - 104))
		return 1;
	memcpy(c, b, len);
	c[HWD_HEADER_SIZE + 16 + 3] ^= 0x10; /* inside the first chunk's payload */
	if (spit(dir, "bad-crc.hwd", c, len))
		return 1;
	memcpy(c, b, len);
	hwd_put_le64(c + HWD_HEADER_SIZE + 8, (uint64_t)1 << 40);
	if (spit(dir, "huge-length.hwd", c, len))
		return 1;
	memcpy(c, b, len);
	hwd_put_le16(c + 8, 2);
	if (spit(dir, "newer-major.hwd", c, len))
		return 1;
	memcpy(c, b, len);
	memcpy(c + len, "trailing", 8);
	if (spit(dir, "trailing-bytes.hwd", c, len + 8))
		return 1;
	/* field damage behind a valid CRC: reaches the record checks */
	size_t obj, edge;
	snprintf(path, sizeof path, "%s/valid-one-chunk-per-kind.hwd", dir);
	free(b);
	if (!(b = slurp(path, &len)) || !(obj = find_chunk(b, len, HWD_CHUNK_OBJECTS)) ||
	    !(edge = find_chunk(b, len, HWD_CHUNK_EDGES)))
		return 1;
	memcpy(c, b, len);
	hwd_put_le64(c + obj + 32 + 24, 0x10); /* object 1 below object 0 */
	recrc(c, obj);
	if (spit(dir, "objects-unsorted.hwd", c, len))
		return 1;
	size_t smp;
	if (!(smp = find_chunk(b, len, HWD_CHUNK_ALLOC_SAMPLES)))
		return 1;
	memcpy(c, b, len);
	hwd_put_le32(c + smp + 32 + 8, 12); /* sample 1 names object 12 of 12 */
	recrc(c, smp);
	if (spit(dir, "alloc-sample-out-of-range.hwd", c, len))
		return 1;
	memcpy(c, b, len);
	hwd_put_le32(c + edge + 32 + 4, 12); /* edge 0 names object 12 of 12 */
	recrc(c, edge);
	if (spit(dir, "edge-to-out-of-range.hwd", c, len))
		return 1;
	memcpy(c, b, len);
	hwd_put_le32(c + edge + 32 + 16, 5); /* edge 1 from object 5 before edges from 1.. */
	recrc(c, edge);
	if (spit(dir, "edges-out-of-order.hwd", c, len))
		return 1;
	memcpy(c, b, len);
	hwd_put_le64(c + obj + 24, 0x0AAAAAAAAAAAAAABull); /* count x 24 wraps around */
	recrc(c, obj);
	if (spit(dir, "objects-count-wraps.hwd", c, len))
		return 1;
	free(b);
	/* compressed: cut inside a frame, and a scrambled frame behind a valid CRC */
	snprintf(path, sizeof path, "%s/valid-compressed.hwd", dir);
	if (!(b = slurp(path, &len)) || !(obj = find_chunk(b, len, HWD_CHUNK_OBJECTS | HWD_CHUNK_COMPRESSED)))
		return 1;
	if (spit(dir, "compressed-cut-in-frame.hwd", b, obj + 40))
		return 1;
	memcpy(c, b, len);
	for (uint64_t i = 40; i < 16 + hwd_get_le64(c + obj + 8); i += 5)
		c[obj + i] ^= 0x33;
	recrc(c, obj);
	if (spit(dir, "compressed-bad-frame.hwd", c, len))
		return 1;
	free(b);
	free(c);
	return 0;
}
