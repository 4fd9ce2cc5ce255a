/* fuzz-reader.c - fuzz target for the snapshot reader and checker (dumpfmt/).
 *
 * Opens the input in every mode (default, salvage, strict), and whenever it opens, touches
 * every record through every accessor so that any out-of-bounds view the validation let
 * through is read, then runs the checker over it. Random bytes rarely carry a right CRC32C,
 * so each input is also run with every whole chunk's CRC recomputed: that lets mutations
 * reach the record checks behind the checksum, without weakening the library. Compressed
 * chunks (format 1.1) are reached twice: seeds hold compressed files, whose frames and
 * compression headers the fuzzer mutates directly (the CRC repair covers them too), and each
 * input is also run packed, with every whole plain chunk compressed, so that mutations of
 * plain records reach the reader's checks through inflation. Built as a libFuzzer binary
 * with -Dfuzz=true, and always as a replay test over corpus/reader/ (fuzz-replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "hwd.h"
#include "hwd-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static uint64_t bytes_sum(const void *p, uint64_t len)
{
	const uint8_t *b = p;
	uint64_t s = 0;
	for (uint64_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

static void touch(const hwd_reader *r)
{
	uint64_t s = 0;
	uint32_t len;
	const hwd_damage *d = hwd_reader_damage(r);
	s += strlen(d->message) + d->partial + d->edges_dropped + hwd_reader_skipped_chunks(r);
	s += hwd_reader_version_minor(r) + hwd_reader_pointer_size(r) + hwd_reader_has_contents(r);

	for (uint64_t id = 0; id <= hwd_reader_string_count(r) + 1; id++) {
		const char *str = hwd_reader_string(r, (uint32_t)id, &len);
		if (str)
			s += bytes_sum(str, len);
	}
	for (uint64_t id = 0; id <= hwd_reader_type_count(r) + 1; id++) {
		hwd_type t = hwd_reader_type(r, (uint32_t)id);
		s += t.size + t.name + t.kind;
	}
	uint64_t nobj = hwd_reader_object_count(r);
	for (uint64_t i = 0; i <= nobj; i++) {
		hwd_object o = hwd_reader_object(r, (uint32_t)i);
		uint64_t clen;
		const void *c = hwd_reader_contents(r, (uint32_t)i, &clen);
		s += o.addr + o.type + hwd_reader_find_object(r, o.addr) + hwd_reader_find_object(r, o.addr + o.size);
		s += hwd_reader_find_object(r, o.addr - 1);
		if (c)
			s += bytes_sum(c, clen);
	}
	for (uint64_t i = 0; i <= hwd_reader_edge_count(r); i++) {
		hwd_edge e = hwd_reader_edge(r, i);
		s += e.from + e.to + e.label + e.info;
	}
	for (uint64_t i = 0; i <= hwd_reader_root_count(r); i++) {
		hwd_root rt = hwd_reader_root(r, i);
		s += rt.object + rt.goroutine + rt.frame + rt.addr;
	}
	for (uint64_t i = 0; i <= hwd_reader_goroutine_count(r); i++) {
		hwd_goroutine g = hwd_reader_goroutine(r, (uint32_t)i);
		s += g.id + g.first_frame + g.nframes;
	}
	for (uint64_t i = 0; i <= hwd_reader_frame_count(r); i++) {
		hwd_frame f = hwd_reader_frame(r, (uint32_t)i);
		s += f.pc + f.goroutine;
	}
	for (uint64_t i = 0; i <= hwd_reader_thread_count(r); i++)
		s += hwd_reader_thread(r, (uint32_t)i).tid;
	hwd_meta_entry m;
	for (uint64_t i = 0; hwd_reader_meta_entry(r, i, &m); i++) {
		s += bytes_sum(m.key, m.key_len);
		if (m.type == HWD_META_STR)
			s += bytes_sum(m.v.str.ptr, m.v.str.len);
	}
	uint64_t u;
	const char *str;
	s += hwd_reader_meta_u64(r, "pid", &u) + hwd_reader_meta_str(r, "producer", &str, &len);
	hwd_run run;
	for (uint64_t k = 0; hwd_reader_object_run(r, k, &run); k++)
		s += bytes_sum(run.records, run.count * 24);
	for (uint64_t k = 0; hwd_reader_edge_run(r, k, &run); k++)
		s += bytes_sum(run.records, run.count * 16);
	sink += s;
}

static void on_chunk(const hwd_check_chunk *c, void *user)
{
	(void)user;
	sink += c->offset + c->kind + c->records + strlen(c->kind_name);
}

/* Rewrites the CRC of every chunk that lies wholly inside buf[0..size). */
static void fix_crcs(uint8_t *buf, size_t size)
{
	uint64_t off = HWD_HEADER_SIZE;
	if (size >= HWD_HEADER_SIZE && hwd_get_le32(buf + 12) >= HWD_HEADER_SIZE)
		off = hwd_get_le32(buf + 12);
	while (off <= size && size - off >= HWD_CHUNK_HEADER_SIZE) {
		uint64_t plen = hwd_get_le64(buf + off + 8);
		if (plen > size - off - HWD_CHUNK_HEADER_SIZE)
			return;
		hwd_put_le32(buf + off + 4, hwd_crc32c(0, buf + off + HWD_CHUNK_HEADER_SIZE, (size_t)plen));
		off += HWD_CHUNK_HEADER_SIZE + plen + (8 - plen % 8) % 8;
	}
}

static void run(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = { 0, HWD_OPEN_SALVAGE, HWD_OPEN_STRICT };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		hwd_reader *r;
		hwd_error err;
		if (hwd_reader_open_memory(data, size, modes[i], &r, &err) == 0) {
			touch(r);
			hwd_reader_close(r);
		} else {
			sink += strlen(err.message);
		}
	}
	hwd_error err;
	sink += (uint64_t)hwd_check_memory(data, size, on_chunk, NULL, &err);
}

/* Returns a copy of buf with every whole uncompressed chunk but END compressed (flag bit 1
 * set in the header), and the rest of the input copied as is; NULL if nothing to pack. */
static uint8_t *pack(const uint8_t *buf, size_t size, size_t *out_len)
{
	uint64_t off = HWD_HEADER_SIZE, n = 0;
	if (size < HWD_HEADER_SIZE || size > (1u << 20))
		return NULL;
	size_t cap = 2 * size + 4096;
	uint8_t *out = malloc(cap);
	if (!out)
		return NULL;
	memcpy(out, buf, HWD_HEADER_SIZE);
	hwd_put_le32(out + 20, hwd_get_le32(out + 20) | HWD_FLAG_COMPRESSED);
	while (size - off >= HWD_CHUNK_HEADER_SIZE) {
		uint32_t word = hwd_get_le32(buf + off);
		uint64_t plen = hwd_get_le64(buf + off + 8), whole = HWD_CHUNK_HEADER_SIZE + plen + (8 - plen % 8) % 8;
		if (plen > size || whole > size - off || word == HWD_CHUNK_END || (word & HWD_CHUNK_COMPRESSED))
			break;
		if (HWD_HEADER_SIZE + n + 40 + ZSTD_compressBound(plen) + (size - off) > cap)
			break; /* the rest stays as it is */
		uint8_t *h = out + n + HWD_HEADER_SIZE;
		size_t z = ZSTD_compress(h + 32, ZSTD_compressBound(plen), buf + off + 16, plen, 1);
		if (ZSTD_isError(z))
			break;
		hwd_put_le32(h, word | HWD_CHUNK_COMPRESSED);
		hwd_put_le64(h + 8, 16 + z);
		hwd_put_le32(h + 16, HWD_CODEC_ZSTD);
		hwd_put_le32(h + 20, 0);
		hwd_put_le64(h + 24, plen);
		hwd_put_le32(h + 4, hwd_crc32c(0, h + 16, 16 + z));
		memset(h + 32 + z, 0, (8 - z % 8) % 8);
		n += 32 + z + (8 - z % 8) % 8;
		off += whole;
	}
	memcpy(out + HWD_HEADER_SIZE + n, buf + off, size - off);
	*out_len = HWD_HEADER_SIZE + n + (size - off);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	uint8_t *fixed = malloc(size ? size : 1), *packed;
	size_t plen;
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	fix_crcs(fixed, size);
	if (memcmp(fixed, data, size) != 0)
		run(fixed, size);
	if ((packed = pack(fixed, size, &plen))) {
		run(packed, plen);
		free(packed);
	}
	free(fixed);
	return 0;
}
