/* reader.c - the snapshot reader: map the file, validate every chunk once, then serve views.
 *
 * Opening walks the chunks in order and checks each completely before keeping anything from
 * it: framing, CRC32C, counts against the payload size (before any allocation), ids against
 * what earlier chunks defined, object order, edge order. What survives is recorded in small
 * per-kind run directories (one run per chunk, pointing into the mapping), so indexed access
 * is a binary search over chunks. References that may point forward (to objects, goroutines,
 * frames) are checked against the totals once the walk is over. A file cut short keeps its
 * whole chunks (partial mode); a corrupt one fails with the offset and field at fault, or,
 * with HWD_OPEN_SALVAGE, is read up to the bad chunk. check.c runs this same walk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hugeio.h"
#include "hwd-internal.h"
#include "inflate.h"
#include "reader-internal.h"

/* The run directory of one fixed-size record kind. For TYPES, index = id - 1. */
struct table {
	uint32_t recsize;
	uint64_t count;
	struct hwd_run *runs;
	uint64_t nruns, cap;
	uint8_t *copy; /* heap copy replacing the runs after dangling records were dropped */
};

struct meta_ent {
	const char *key;
	uint16_t key_len, type;
	uint32_t len;
	const uint8_t *val;
};

struct contents_ent {
	uint32_t object;
	uint64_t len;
	const uint8_t *data;
	uint64_t seq; /* file order, so that the last entry for an object wins after sorting */
};

struct hwd_reader {
	const uint8_t *data;  /* what the walk reads: the file, or its inflated image */
	size_t len;
	void *map;            /* the stored file's mapping (NULL for caller memory) */
	size_t map_len;
	int image;            /* data is img.data: the file had compressed chunks */
	int err_stored;       /* the error being returned already names stored offsets */
	hwd__image img;
	unsigned flags;
	hwd_check_cb cb;
	void *user;

	uint32_t major, minor, header_size, pointer_size, file_flags;
	struct table t[HWD_CHUNK_KIND__NEXT]; /* only the fixed-record kinds are used */
	struct str_mark *marks;               /* sparse string index, by id (see STR_STRIDE) */
	uint64_t nmarks, marks_cap;
	uint64_t nstrs;
	struct meta_ent *meta;
	uint64_t nmeta, meta_cap;
	struct contents_ent *contents;
	uint64_t ncontents, contents_cap;

	uint64_t chunks, skipped;
	uint64_t last_addr, last_end;
	uint32_t last_from;
	uint32_t last_sample; /* object of the previous allocation sample */
	int end_seen;
	hwd_damage damage;
};

/* Index limits per kind: objects by HWD_MAX_OBJECTS, other u32-indexed kinds below HWD_NONE. */
static uint64_t max_records(uint32_t kind)
{
	switch (kind) {
	case HWD_CHUNK_OBJECTS: return HWD_MAX_OBJECTS;
	case HWD_CHUNK_EDGES:
	case HWD_CHUNK_ROOTS:
	case HWD_CHUNK_ALLOC_SAMPLES: return UINT64_MAX;
	default: return HWD_NONE - 1;
	}
}

static int grow(void **arr, uint64_t *cap, uint64_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint64_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return -1;
	void *n = realloc(*arr, (size_t)(ncap * elem));
	if (!n)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int nomem(hwd_error *err, uint64_t off)
{
	return hwd__fail(err, HWD_E_NOMEM, ENOMEM, off, NULL, "out of memory while reading the chunk at 0x%llx",
			 (unsigned long long)off);
}

/* ---- per-kind chunk validation -----------------------------------------------------
 * Each validator sees one whole, CRC-checked payload at file offset `off` (of the chunk
 * header) and either commits it to the reader or fails without keeping anything. */

#define STRING_OK(r, id) ((id) <= (r)->nstrs)
#define BAD_STRING(err, off, field, id, r)                                                       \
	HWD_CORRUPT(err, off, field, "string id %u at 0x%llx is undefined (%llu strings so far)",  \
		    (unsigned)(id), (unsigned long long)(off), (unsigned long long)(r)->nstrs)

/* Strings are found through an index that is dense for the first STR_DENSE ids and sparse
 * after: the first string of every STRINGS chunk and every STR_STRIDE-th one. A Go heap labels
 * each element edge "[i]", so a slice of millions of pointers brings millions of strings; a
 * pointer per string would cost the analysis 8 bytes each (more than its budget per object
 * allows), this costs under half a byte, and a lookup there walks at most STR_STRIDE - 1
 * length prefixes inside one chunk. The first ids (type, field and function names, interned
 * as they first appear: all the strings of most heaps) are found at once; retained-by looks
 * up a type name per object and hop (on a 10M-object heap: 8.5 -> 7.1 s). At most 1 MiB. */
#define STR_STRIDE 32
#define STR_DENSE 65536
struct str_mark {
	uint64_t id;             /* of the string p points at */
	const uint8_t *p;        /* its u32 length, followed by its bytes */
};

static int check_strings(hwd_reader *r, uint64_t off, const uint8_t *p, uint64_t plen, uint64_t *nrec,
			 hwd_error *err)
{
	uint64_t payload = off + HWD_CHUNK_HEADER_SIZE;
	if (plen < 8)
		return HWD_CORRUPT(err, off + 8, "chunk.length", "STRINGS chunk at 0x%llx has a %llu-byte payload, "
				   "shorter than its 8-byte header", (unsigned long long)off, (unsigned long long)plen);
	uint32_t first = hwd_get_le32(p), count = hwd_get_le32(p + 4);
	if (first != r->nstrs + 1)
		return HWD_CORRUPT(err, payload, "strings.first_id", "STRINGS chunk at 0x%llx starts at id %u, "
				   "expected %llu", (unsigned long long)off, first, (unsigned long long)r->nstrs + 1);
	if (count > (plen - 8) / 4 || r->nstrs + count > UINT32_MAX)
		return HWD_CORRUPT(err, payload + 4, "strings.count", "STRINGS chunk at 0x%llx claims %u strings, "
				   "more than its %llu bytes can hold", (unsigned long long)off, count,
				   (unsigned long long)plen);
	*nrec = count;
	uint64_t dense = r->nstrs < STR_DENSE ? STR_DENSE - r->nstrs : 0;
	if (grow((void **)&r->marks, &r->marks_cap, r->nmarks + count / STR_STRIDE + 1 + (dense < count ? dense : count),
		 sizeof *r->marks))
		return nomem(err, off);
	uint64_t pos = 8, nmarks = r->nmarks;
	for (uint32_t i = 0; i < count; i++) {
		if (plen - pos < 4 || hwd_get_le32(p + pos) > plen - pos - 4)
			return HWD_CORRUPT(err, payload + pos, "string.len", "string %llu at 0x%llx runs past the end "
					   "of its chunk", (unsigned long long)r->nstrs + i + 1,
					   (unsigned long long)(payload + pos));
		if (i % STR_STRIDE == 0 || r->nstrs + i < STR_DENSE)
			r->marks[nmarks++] = (struct str_mark){ r->nstrs + i + 1, p + pos };
		pos += 4 + (uint64_t)hwd_get_le32(p + pos);
	}
	if (pos != plen)
		return HWD_CORRUPT(err, payload + pos, "chunk.length", "STRINGS chunk at 0x%llx has %llu bytes "
				   "after its %u strings", (unsigned long long)off, (unsigned long long)(plen - pos), count);
	r->nstrs += count; /* commit: the marks above were written past the old count */
	r->nmarks = nmarks;
	return 0;
}

static int check_meta(hwd_reader *r, uint64_t off, const uint8_t *p, uint64_t plen, uint64_t *nrec,
		      hwd_error *err)
{
	uint64_t payload = off + HWD_CHUNK_HEADER_SIZE, pos = 0, n = r->nmeta;
	while (pos < plen) {
		uint64_t at = payload + pos;
		if (plen - pos < sizeof(hwd_meta_header))
			return HWD_CORRUPT(err, at, "meta.header", "META entry at 0x%llx is cut by the end of its "
					   "chunk", (unsigned long long)at);
		uint16_t type = hwd_get_le16(p + pos), klen = hwd_get_le16(p + pos + 2);
		uint32_t vlen = hwd_get_le32(p + pos + 4);
		if (!klen)
			return HWD_CORRUPT(err, at + 2, "meta.key_len", "META entry at 0x%llx has an empty key",
					   (unsigned long long)at);
		if ((uint64_t)klen + vlen > plen - pos - sizeof(hwd_meta_header))
			return HWD_CORRUPT(err, at + 4, "meta.value_len", "META entry at 0x%llx runs past the end "
					   "of its chunk", (unsigned long long)at);
		if (type >= HWD_META_U64 && type <= HWD_META_F64 && vlen != 8)
			return HWD_CORRUPT(err, at + 4, "meta.value_len", "numeric META entry at 0x%llx has a "
					   "%u-byte value, not 8", (unsigned long long)at, vlen);
		if (type >= HWD_META_U64 && type <= HWD_META_STR) { /* other types: later minors, skipped */
			if (grow((void **)&r->meta, &r->meta_cap, n + 1, sizeof *r->meta))
				return nomem(err, off);
			r->meta[n++] = (struct meta_ent){ (const char *)p + pos + 8, klen, type, vlen,
							  p + pos + 8 + klen };
		}
		pos += sizeof(hwd_meta_header) + klen + vlen;
	}
	*nrec = n - r->nmeta;
	r->nmeta = n;
	return 0;
}

static int check_contents(hwd_reader *r, uint64_t off, const uint8_t *p, uint64_t plen, uint64_t *nrec,
			  hwd_error *err)
{
	uint64_t payload = off + HWD_CHUNK_HEADER_SIZE, pos = 0, n = r->ncontents;
	if (!(r->file_flags & HWD_FLAG_CONTENTS))
		return HWD_CORRUPT(err, off, "header.flags", "CONTENTS chunk at 0x%llx in a file whose header "
				   "says it has no contents", (unsigned long long)off);
	while (pos < plen) {
		uint64_t at = payload + pos;
		if (plen - pos < sizeof(hwd_contents_header))
			return HWD_CORRUPT(err, at, "contents.header", "CONTENTS entry at 0x%llx is cut by the end "
					   "of its chunk", (unsigned long long)at);
		uint64_t len = hwd_get_le64(p + pos + 8), room = plen - pos - sizeof(hwd_contents_header);
		if (len > room || hwd__pad8(len) > room - len)
			return HWD_CORRUPT(err, at + 8, "contents.len", "CONTENTS entry at 0x%llx claims %llu bytes, "
					   "more than its chunk holds", (unsigned long long)at, (unsigned long long)len);
		if (grow((void **)&r->contents, &r->contents_cap, n + 1, sizeof *r->contents))
			return nomem(err, off);
		r->contents[n] = (struct contents_ent){ hwd_get_le32(p + pos), len, p + pos + 16, n };
		n++;
		pos += sizeof(hwd_contents_header) + len + hwd__pad8(len);
	}
	*nrec = n - r->ncontents;
	r->ncontents = n;
	return 0;
}

/* Checks one fixed-size record; `at` is its file offset. Cross-chunk state (object order,
 * edge order) is updated by the caller only once the whole chunk passed. */
static int check_record(hwd_reader *r, uint32_t kind, const uint8_t *q, uint64_t at, uint64_t index,
			uint64_t *last_addr, uint64_t *last_end, uint32_t *last_from, uint32_t *last_sample,
			hwd_error *err)
{
	switch (kind) {
	case HWD_CHUNK_TYPES:
		if (!STRING_OK(r, hwd_get_le32(q + 8)))
			return BAD_STRING(err, at + 8, "type.name", hwd_get_le32(q + 8), r);
		return 0;
	case HWD_CHUNK_OBJECTS: {
		uint64_t addr = hwd_get_le64(q), size = hwd_get_le64(q + 8);
		uint32_t type = hwd_get_le32(q + 16);
		if (index && addr <= *last_addr)
			return HWD_CORRUPT(err, at, "object.addr", "object %llu at 0x%llx is not above the previous "
					   "object at 0x%llx", (unsigned long long)index, (unsigned long long)addr,
					   (unsigned long long)*last_addr);
		if (index && addr < *last_end)
			return HWD_CORRUPT(err, at, "object.addr", "object %llu at 0x%llx overlaps the previous "
					   "object, which ends at 0x%llx", (unsigned long long)index,
					   (unsigned long long)addr, (unsigned long long)*last_end);
		if (addr + size < addr)
			return HWD_CORRUPT(err, at + 8, "object.size", "object %llu at 0x%llx of %llu bytes wraps "
					   "around the address space", (unsigned long long)index,
					   (unsigned long long)addr, (unsigned long long)size);
		if (type > r->t[HWD_CHUNK_TYPES].count)
			return HWD_CORRUPT(err, at + 16, "object.type", "object %llu names type id %u, but only %llu "
					   "types are defined before it", (unsigned long long)index, type,
					   (unsigned long long)r->t[HWD_CHUNK_TYPES].count);
		*last_addr = addr;
		*last_end = addr + size;
		return 0;
	}
	case HWD_CHUNK_EDGES: {
		uint32_t from = hwd_get_le32(q);
		if (index && from < *last_from)
			return HWD_CORRUPT(err, at, "edge.from", "edge %llu from object %u follows an edge from "
					   "object %u (edges must be in non-decreasing source order)",
					   (unsigned long long)index, from, *last_from);
		if (!STRING_OK(r, hwd_get_le32(q + 8)))
			return BAD_STRING(err, at + 8, "edge.label", hwd_get_le32(q + 8), r);
		*last_from = from;
		return 0;
	}
	case HWD_CHUNK_ROOTS:
		if (!STRING_OK(r, hwd_get_le32(q + 4)))
			return BAD_STRING(err, at + 4, "root.name", hwd_get_le32(q + 4), r);
		return 0;
	case HWD_CHUNK_GOROUTINES:
		for (int f = 24; f <= 40; f += 4)
			if (!STRING_OK(r, hwd_get_le32(q + f)))
				return BAD_STRING(err, at + f, "goroutine.string", hwd_get_le32(q + f), r);
		return 0;
	case HWD_CHUNK_FRAMES:
		for (int f = 16; f <= 20; f += 4)
			if (!STRING_OK(r, hwd_get_le32(q + f)))
				return BAD_STRING(err, at + f, "frame.string", hwd_get_le32(q + f), r);
		return 0;
	case HWD_CHUNK_THREADS:
		if (!STRING_OK(r, hwd_get_le32(q + 28)))
			return BAD_STRING(err, at + 28, "thread.name", hwd_get_le32(q + 28), r);
		return 0;
	case HWD_CHUNK_ALLOC_FRAMES:
		for (int f = 8; f <= 12; f += 4)
			if (!STRING_OK(r, hwd_get_le32(q + f)))
				return BAD_STRING(err, at + f, "alloc_frame.string", hwd_get_le32(q + f), r);
		return 0;
	case HWD_CHUNK_ALLOC_STACKS: {
		/* Frames come from earlier chunks only (the writer flushes them first). */
		uint32_t first = hwd_get_le32(q + 8), n = hwd_get_le32(q + 12);
		uint64_t have = r->t[HWD_CHUNK_ALLOC_FRAMES].count;
		if (n > HWD_ALLOC_MAX_FRAMES)
			return HWD_CORRUPT(err, at + 12, "alloc_stack.nframes", "allocation stack %llu at 0x%llx "
					   "claims %u frames, more than %u", (unsigned long long)index,
					   (unsigned long long)at, n, HWD_ALLOC_MAX_FRAMES);
		if ((uint64_t)first + n > have)
			return HWD_CORRUPT(err, at + 8, "alloc_stack.first_frame", "allocation stack %llu at "
					   "0x%llx names frames %u..%llu, but only %llu are defined before it",
					   (unsigned long long)index, (unsigned long long)at, first,
					   (unsigned long long)first + n, (unsigned long long)have);
		return 0;
	}
	case HWD_CHUNK_ALLOC_SAMPLES: {
		uint32_t obj = hwd_get_le32(q), stack = hwd_get_le32(q + 4);
		if (obj >= r->t[HWD_CHUNK_OBJECTS].count)
			return HWD_CORRUPT(err, at, "alloc_sample.object", "allocation sample %llu at 0x%llx names "
					   "object %u, but only %llu objects are defined before it",
					   (unsigned long long)index, (unsigned long long)at, obj,
					   (unsigned long long)r->t[HWD_CHUNK_OBJECTS].count);
		if (stack >= r->t[HWD_CHUNK_ALLOC_STACKS].count)
			return HWD_CORRUPT(err, at + 4, "alloc_sample.stack", "allocation sample %llu at 0x%llx "
					   "names stack %u, but only %llu stacks are defined before it",
					   (unsigned long long)index, (unsigned long long)at, stack,
					   (unsigned long long)r->t[HWD_CHUNK_ALLOC_STACKS].count);
		if (index && obj < *last_sample)
			return HWD_CORRUPT(err, at, "alloc_sample.object", "allocation sample %llu of object %u "
					   "follows one of object %u (samples must be in non-decreasing object order)",
					   (unsigned long long)index, obj, *last_sample);
		*last_sample = obj;
		return 0;
	}
	}
	return 0;
}

static int check_records(hwd_reader *r, uint32_t kind, uint64_t off, const uint8_t *p, uint64_t plen,
			 uint64_t *nrec, hwd_error *err)
{
	struct table *t = &r->t[kind];
	uint64_t payload = off + HWD_CHUNK_HEADER_SIZE, rs = hwd__record_size(kind);
	uint64_t base = kind == HWD_CHUNK_TYPES; /* TYPES count ids from 1 */
	uint64_t last_addr = r->last_addr, last_end = r->last_end;
	uint32_t last_from = r->last_from, last_sample = r->last_sample;
	const char *name = hwd__chunk_kind_name(kind);
	int rc;

	if (plen < sizeof(hwd_run_header))
		return HWD_CORRUPT(err, off + 8, "chunk.length", "%s chunk at 0x%llx has a %llu-byte payload, "
				   "shorter than its 16-byte header", name, (unsigned long long)off,
				   (unsigned long long)plen);
	uint64_t first = hwd_get_le64(p), count = hwd_get_le64(p + 8);
	if (first != t->count + base)
		return HWD_CORRUPT(err, payload, "run.first", "%s chunk at 0x%llx starts at %s %llu, expected %llu",
				   name, (unsigned long long)off, base ? "id" : "index", (unsigned long long)first,
				   (unsigned long long)(t->count + base));
	if (count > (plen - 16) / rs || plen != 16 + count * rs)
		return HWD_CORRUPT(err, payload + 8, "run.count", "%s chunk at 0x%llx claims %llu records of %llu "
				   "bytes, but its payload is %llu bytes", name, (unsigned long long)off,
				   (unsigned long long)count, (unsigned long long)rs, (unsigned long long)plen);
	if (count > max_records(kind) - t->count)
		return HWD_CORRUPT(err, payload + 8, "run.count", "%s chunk at 0x%llx takes the file past %llu "
				   "records", name, (unsigned long long)off, (unsigned long long)max_records(kind));
	*nrec = count;
	for (uint64_t i = 0; i < count; i++)
		if ((rc = check_record(r, kind, p + 16 + i * rs, payload + 16 + i * rs, t->count + i,
				       &last_addr, &last_end, &last_from, &last_sample, err)))
			return rc;
	if (!count)
		return 0;
	if (grow((void **)&t->runs, &t->cap, t->nruns + 1, sizeof *t->runs))
		return nomem(err, off);
	t->runs[t->nruns++] = (struct hwd_run){ t->count, count, p + 16 };
	t->count += count;
	r->last_addr = last_addr;
	r->last_end = last_end;
	r->last_from = last_from;
	r->last_sample = last_sample;
	return 0;
}

static const uint32_t end_order[] = { HWD_CHUNK_STRINGS, HWD_CHUNK_TYPES, HWD_CHUNK_OBJECTS,
				      HWD_CHUNK_EDGES, HWD_CHUNK_ROOTS, HWD_CHUNK_GOROUTINES,
				      HWD_CHUNK_FRAMES, HWD_CHUNK_THREADS, HWD_CHUNK_CONTENTS,
				      HWD_CHUNK_META, HWD_CHUNK_ALLOC_FRAMES, HWD_CHUNK_ALLOC_STACKS,
				      HWD_CHUNK_ALLOC_SAMPLES };
static const char *const end_fields[] = { "end.strings", "end.types", "end.objects", "end.edges",
					  "end.roots", "end.goroutines", "end.frames", "end.threads",
					  "end.contents", "end.meta", "end.alloc_frames",
					  "end.alloc_stacks", "end.alloc_samples" };
enum { N_END_1_1 = 10 }; /* totals in a 1.1 END (hwd_end_disk) */

static uint64_t total_of(const hwd_reader *r, uint32_t kind)
{
	switch (kind) {
	case HWD_CHUNK_STRINGS: return r->nstrs;
	case HWD_CHUNK_CONTENTS: return r->ncontents;
	case HWD_CHUNK_META: return r->nmeta;
	default: return r->t[kind].count;
	}
}

static int check_end(hwd_reader *r, uint64_t off, const uint8_t *p, uint64_t plen, hwd_error *err)
{
	uint64_t payload = off + HWD_CHUNK_HEADER_SIZE;
	if (plen < sizeof(hwd_end_disk))
		return HWD_CORRUPT(err, off + 8, "chunk.length", "END chunk at 0x%llx has %llu bytes, fewer than %zu",
				   (unsigned long long)off, (unsigned long long)plen, sizeof(hwd_end_disk));
	if (hwd_get_le64(p) != r->chunks)
		return HWD_CORRUPT(err, payload, "end.chunks", "END chunk says %llu chunks precede it, but %llu do",
				   (unsigned long long)hwd_get_le64(p), (unsigned long long)r->chunks);
	/* The 1.2 totals are there when the file has allocation sites (a 1.1 END has none). */
	size_t n = plen >= sizeof(hwd_end_disk_1_2) ? sizeof end_order / sizeof end_order[0] : N_END_1_1;
	for (size_t i = 0; i < sizeof end_order / sizeof end_order[0]; i++) {
		uint64_t want = i < n ? hwd_get_le64(p + 8 + 8 * i) : 0, have = total_of(r, end_order[i]);
		if (want != have)
			return HWD_CORRUPT(err, payload + (i < n ? 8 + 8 * i : 0), end_fields[i], "END chunk "
					   "says the file holds %llu %s records, but %llu were read%s",
					   (unsigned long long)want, hwd__chunk_kind_name(end_order[i]),
					   (unsigned long long)have, i < n ? "" : " (its 88 bytes have no "
					   "allocation-site totals)");
	}
	return 0;
}

static int check_payload(hwd_reader *r, uint32_t kind, uint64_t off, const uint8_t *p, uint64_t plen,
			 uint64_t *nrec, hwd_error *err)
{
	switch (kind) {
	case HWD_CHUNK_META: return check_meta(r, off, p, plen, nrec, err);
	case HWD_CHUNK_STRINGS: return check_strings(r, off, p, plen, nrec, err);
	case HWD_CHUNK_CONTENTS: return check_contents(r, off, p, plen, nrec, err);
	case HWD_CHUNK_END: return check_end(r, off, p, plen, err);
	default:
		if (hwd__record_size(kind))
			return check_records(r, kind, off, p, plen, nrec, err);
		r->skipped++; /* unknown kinds are skipped, never fatal */
		return 0;
	}
}

/* ---- forward references, checked once every chunk is in ------------------------------ */

/* Looks up the record of `index` in a table: the run holding it, by binary search. */
static const uint8_t *record_at(const struct table *t, uint64_t index)
{
	size_t lo = 0, hi = t->nruns;
	if (index >= t->count)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->runs[mid].first <= index)
			lo = mid;
		else
			hi = mid;
	}
	return (const uint8_t *)t->runs[lo].records + (index - t->runs[lo].first) * t->recsize;
}

/* Decides the fate of one record in a whole or damaged file: 0 keep, 1 keep but rewritten
 * (dangling goroutine/frame indices become HWD_NONE), -1 drop. `q` is a writable copy.
 * `field` names the first dangling field. */
static int fix_record(const hwd_reader *r, uint32_t kind, uint8_t *q, const char **field, uint64_t *value,
		      uint64_t *limit)
{
	uint64_t nobj = r->t[HWD_CHUNK_OBJECTS].count, ngor = r->t[HWD_CHUNK_GOROUTINES].count;
	uint64_t nfr = r->t[HWD_CHUNK_FRAMES].count;
	int fate = 0;
	switch (kind) {
	case HWD_CHUNK_EDGES:
		if (hwd_get_le32(q) >= nobj || hwd_get_le32(q + 4) >= nobj) {
			*field = hwd_get_le32(q) >= nobj ? "edge.from" : "edge.to";
			*value = hwd_get_le32(q) >= nobj ? hwd_get_le32(q) : hwd_get_le32(q + 4);
			*limit = nobj;
			return -1;
		}
		return 0;
	case HWD_CHUNK_ROOTS: {
		uint32_t g = hwd_get_le32(q + 12), f = hwd_get_le32(q + 16);
		if (hwd_get_le32(q + 8) >= nobj) {
			*field = "root.object";
			*value = hwd_get_le32(q + 8);
			*limit = nobj;
			return -1;
		}
		if (g != HWD_NONE && g >= ngor) {
			*field = "root.goroutine";
			*value = g;
			*limit = ngor;
			hwd_put_le32(q + 12, HWD_NONE);
			fate = 1;
		}
		if (f != HWD_NONE && f >= nfr) {
			if (!fate) { /* name the first dangling field */
				*field = "root.frame";
				*value = f;
				*limit = nfr;
			}
			hwd_put_le32(q + 16, HWD_NONE);
			fate = 1;
		}
		return fate;
	}
	case HWD_CHUNK_GOROUTINES: {
		uint32_t first = hwd_get_le32(q + 48), n = hwd_get_le32(q + 52);
		if (first == HWD_NONE ? n != 0 : (uint64_t)first + n > nfr) {
			*field = "goroutine.first_frame";
			*value = (uint64_t)first + n;
			*limit = nfr;
			hwd_put_le32(q + 48, first < nfr ? first : HWD_NONE);
			hwd_put_le32(q + 52, first < nfr ? (uint32_t)(nfr - first) : 0);
			return 1;
		}
		return 0;
	}
	case HWD_CHUNK_FRAMES: {
		uint32_t g = hwd_get_le32(q + 28);
		if (g != HWD_NONE && g >= ngor) {
			*field = "frame.goroutine";
			*value = g;
			*limit = ngor;
			hwd_put_le32(q + 28, HWD_NONE);
			return 1;
		}
		return 0;
	}
	}
	return 0;
}

static uint64_t record_offset(const hwd_reader *r, const uint8_t *q)
{
	return q >= r->data && q < r->data + r->len ? (uint64_t)(q - r->data) : 0;
}

/* Checks the forward references of one table. In a whole file opened without SALVAGE a
 * dangling one is corruption; otherwise the table is replaced by a heap copy without the
 * dropped records and with the rewritten ones. *dropped counts the records removed. */
static int fix_table(hwd_reader *r, uint32_t kind, int lenient, uint64_t *dropped, hwd_error *err)
{
	struct table *t = &r->t[kind];
	uint8_t tmp[64];
	const char *field = NULL;
	uint64_t i, bad = t->count, value = 0, limit = 0;

	uint64_t nobj = r->t[HWD_CHUNK_OBJECTS].count, run = 0;
	for (i = 0; i < t->count && bad == t->count; i++) {
		/* Records are checked in index order: walk the runs instead of searching for each. */
		while (run < t->nruns && i >= t->runs[run].first + t->runs[run].count)
			run++;
		const uint8_t *q = run < t->nruns && i >= t->runs[run].first
		                   ? (const uint8_t *)t->runs[run].records + (i - t->runs[run].first) * t->recsize
		                   : record_at(t, i);
		/* Edges are most of a snapshot: their check needs no copy (fix_record() names the field). */
		if (kind == HWD_CHUNK_EDGES && hwd_get_le32(q) < nobj && hwd_get_le32(q + 4) < nobj)
			continue;
		memcpy(tmp, q, t->recsize);
		if (fix_record(r, kind, tmp, &field, &value, &limit)) {
			if (!lenient)
				return HWD_CORRUPT(err, record_offset(r, q), field, "%s record %llu at 0x%llx: %s "
						   "is %llu, but the file holds only %llu",
						   hwd__chunk_kind_name(kind), (unsigned long long)i,
						   (unsigned long long)record_offset(r, q), field,
						   (unsigned long long)value, (unsigned long long)limit);
			bad = i;
		}
	}
	if (bad == t->count)
		return 0;
	uint8_t *copy = malloc(t->count * t->recsize);
	if (!copy)
		return nomem(err, 0);
	uint64_t n = 0;
	for (i = 0; i < t->count; i++) {
		uint8_t *q = copy + n * t->recsize;
		memcpy(q, record_at(t, i), t->recsize);
		if (fix_record(r, kind, q, &field, &value, &limit) >= 0)
			n++;
	}
	*dropped += t->count - n;
	free(t->copy);
	t->copy = copy;
	t->runs[0] = (struct hwd_run){ 0, n, copy };
	t->nruns = n ? 1 : 0;
	t->count = n;
	return 0;
}

static int contents_cmp(const void *a, const void *b)
{
	const struct contents_ent *x = a, *y = b;
	if (x->object != y->object)
		return x->object < y->object ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int check_references(hwd_reader *r, int lenient, hwd_error *err)
{
	uint64_t other = 0;
	int rc;
	if ((rc = fix_table(r, HWD_CHUNK_EDGES, lenient, &r->damage.edges_dropped, err)) ||
	    (rc = fix_table(r, HWD_CHUNK_ROOTS, lenient, &r->damage.roots_dropped, err)) ||
	    (rc = fix_table(r, HWD_CHUNK_GOROUTINES, lenient, &other, err)) ||
	    (rc = fix_table(r, HWD_CHUNK_FRAMES, lenient, &other, err)))
		return rc;
	uint64_t n = 0;
	for (uint64_t i = 0; i < r->ncontents; i++) {
		if (r->contents[i].object < r->t[HWD_CHUNK_OBJECTS].count)
			r->contents[n++] = r->contents[i];
		else if (!lenient)
			return HWD_CORRUPT(err, record_offset(r, r->contents[i].data) - 16, "contents.object",
					   "CONTENTS entry at 0x%llx names object %u, beyond the file's %llu objects",
					   (unsigned long long)record_offset(r, r->contents[i].data) - 16,
					   r->contents[i].object,
					   (unsigned long long)r->t[HWD_CHUNK_OBJECTS].count);
	}
	r->ncontents = n;
	if (n > 1)
		qsort(r->contents, n, sizeof *r->contents, contents_cmp);
	return 0;
}

/* ---- the walk ------------------------------------------------------------------------- */

/* The stored-file offset of offset `off` in what the walk reads (the same for plain files). */
static uint64_t stored_offset(const hwd_reader *r, uint64_t off)
{
	const struct hwd__chunk_map *c;
	return r->image ? hwd__image_stored_offset(&r->img, off, &c) : off;
}

/* Reports the chunk at `off` (in what the walk reads) in stored terms. */
static void report(hwd_reader *r, uint64_t off, uint32_t word, uint64_t plen, uint64_t nrec, int ok)
{
	if (!r->cb)
		return;
	uint32_t kind = word & HWD_CHUNK_KIND_MASK;
	hwd_check_chunk c = { off, kind, hwd__chunk_kind_name(kind), plen, nrec, ok,
			      !!(word & HWD_CHUNK_COMPRESSED), plen };
	const struct hwd__chunk_map *m = r->image ? hwd__image_chunk_at(&r->img, off) : NULL;
	if (m) {
		c.offset = m->stored_off;
		c.compressed = m->compressed;
		c.stored_len = m->stored_len;
	}
	r->cb(&c, r->user);
}

/* Reports a chunk inflation listed but did not put in the image (damaged, or after that). */
static void report_stored(hwd_reader *r, const struct hwd__chunk_map *m)
{
	if (!r->cb)
		return;
	hwd_check_chunk c = { m->stored_off, m->kind, hwd__chunk_kind_name(m->kind), m->raw_len, 0, m->ok,
			      m->compressed, m->stored_len };
	r->cb(&c, r->user);
}

/* Rewrites an error found in an image to name the stored offset; the message, which quotes
 * image offsets, says where the fault lies in the inflated payload. */
static void error_to_stored(const hwd_reader *r, hwd_error *err)
{
	const struct hwd__chunk_map *c;
	uint64_t at = hwd__image_stored_offset(&r->img, err->offset, &c);
	size_t n = strlen(err->message);
	if (c)
		snprintf(err->message + n, sizeof err->message - n, " (offsets are in the inflated image: "
			 "%llu bytes into the payload of the compressed %s chunk stored at 0x%llx)",
			 (unsigned long long)(err->offset - c->image_off - HWD_CHUNK_HEADER_SIZE),
			 hwd__chunk_kind_name(c->kind), (unsigned long long)c->stored_off);
	else if (at != err->offset)
		snprintf(err->message + n, sizeof err->message - n, " (offsets are in the inflated image; "
			 "stored at 0x%llx)", (unsigned long long)at);
	err->offset = at;
}

/* Fills the damage record for a file whose reading stopped at `off`. */
static void damaged(hwd_reader *r, int cause, uint64_t off, const char *fmt, ...) HWD_PRINTF(4, 5);
static void damaged(hwd_reader *r, int cause, uint64_t off, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	r->damage.partial = 1;
	r->damage.cause = cause;
	r->damage.offset = stored_offset(r, off);
	r->damage.bytes_lost = (r->image ? r->img.stored_len : r->len) - r->damage.offset;
	r->damage.chunks_read = r->chunks;
	snprintf(r->damage.message, sizeof r->damage.message,
		 "%.140s; kept %llu whole chunks (%llu objects, %llu edges, %llu roots); lost: the rest, "
		 "with the END chunk", what, (unsigned long long)r->chunks,
		 (unsigned long long)r->t[HWD_CHUNK_OBJECTS].count,
		 (unsigned long long)r->t[HWD_CHUNK_EDGES].count,
		 (unsigned long long)r->t[HWD_CHUNK_ROOTS].count);
}

/* A problem (described in *here) that ends the walk. Truncation: partial mode unless strict.
 * Corruption: fatal unless SALVAGE. Returns 0 when reading may go on with what was kept,
 * else the code, with *here copied to *err. */
static int stop(hwd_reader *r, int code, uint64_t off, const hwd_error *here, hwd_error *err)
{
	int lenient = code == HWD_E_TRUNCATED ? !(r->flags & (HWD_OPEN_STRICT | HWD__OPEN_CHECK))
					      : (code == HWD_E_CORRUPT && (r->flags & HWD_OPEN_SALVAGE) &&
						 !(r->flags & HWD__OPEN_CHECK));
	if (!lenient) {
		if (err)
			*err = *here;
		return code;
	}
	damaged(r, code, off, "%s", here->message);
	return 0;
}

static int walk(hwd_reader *r, hwd_error *err)
{
	const uint8_t *d = r->data;
	uint64_t len = r->len, off = r->header_size;
	int first = 0; /* check mode: the first problem's code; later chunks get framing checks only */
	hwd_error here;

	for (;;) {
		int rc;
		if (off == len && r->image && r->img.stop) {
			/* inflation stopped at a damaged chunk: the image ends where it was */
			for (uint64_t i = r->img.nimage; i < r->img.nchunks; i++)
				report_stored(r, &r->img.chunks[i]);
			if (first)
				return first;
			here = r->img.stop_err;
			r->err_stored = 1;
			return stop(r, r->img.stop, off, &here, err);
		}
		if (off == len) {
			if (r->end_seen || first)
				return first;
			uint64_t at = stored_offset(r, off);
			rc = hwd__fail(&here, HWD_E_TRUNCATED, 0, at, "END",
				       "file ends at offset 0x%llx after %llu whole chunks, without an END chunk",
				       (unsigned long long)at, (unsigned long long)r->chunks);
			r->err_stored = 1;
			return stop(r, rc, off, &here, err);
		}
		if (r->end_seen) {
			rc = HWD_CORRUPT(&here, off, "END", "%llu bytes follow the END chunk at offset 0x%llx",
					 (unsigned long long)(len - off), (unsigned long long)off);
			return first ? first : stop(r, rc, off, &here, err);
		}
		uint32_t kind;
		uint64_t plen;
		if ((rc = hwd__chunk_frame(d, len, off, &kind, &plen, &here))) {
			if (len - off >= HWD_CHUNK_HEADER_SIZE)
				report(r, off, kind, plen, 0, 0);
			return first ? first : stop(r, rc, off, &here, err);
		}
		const uint8_t *p = d + off + HWD_CHUNK_HEADER_SIZE;
		uint64_t nrec = 0;
		/* An image's CRCs were checked on the stored bytes by inflation. */
		rc = r->image ? 0 : hwd__chunk_crc(d, off, kind, plen, &here);
		if (rc || first) {
			/* after the first problem, later contents are not judged */
		} else if (kind & HWD_CHUNK_COMPRESSED) { /* never in an image: inflation clears the bit */
			rc = HWD_CORRUPT(&here, off, "chunk.kind", "compressed %s chunk at 0x%llx in a file whose "
					 "header does not announce compression (flags bit 1)",
					 hwd__chunk_kind_name(kind & HWD_CHUNK_KIND_MASK), (unsigned long long)off);
		} else {
			uint64_t nstrs = r->nstrs, nmarks = r->nmarks, nmeta = r->nmeta, ncont = r->ncontents;
			rc = check_payload(r, kind, off, p, plen, &nrec, &here);
			if (rc) { /* keep nothing of a bad chunk */
				r->nstrs = nstrs;
				r->nmarks = nmarks;
				r->nmeta = nmeta;
				r->ncontents = ncont;
			}
		}
		report(r, off, kind, plen, nrec, rc == 0);
		if (rc && !(r->flags & HWD__OPEN_CHECK))
			return stop(r, rc, off, &here, err);
		if (rc && !first) {
			first = rc;
			if (err)
				*err = here;
		}
		if (!first)
			r->chunks++;
		if (!rc && kind == HWD_CHUNK_END)
			r->end_seen = 1;
		off += HWD_CHUNK_HEADER_SIZE + plen + hwd__pad8(plen);
	}
}

static int parse_header(hwd_reader *r, hwd_error *err)
{
	const uint8_t *d = r->data;
	size_t n = r->len < HWD_MAGIC_LEN ? r->len : HWD_MAGIC_LEN;
	if (memcmp(d, HWD_MAGIC, n) != 0 || r->len == 0)
		return hwd__fail(err, r->len ? HWD_E_FORMAT : HWD_E_TRUNCATED, 0, 0, "header.magic",
				 r->len ? "not a heapwalk snapshot (the file does not start with HWSNAP)"
					: "the file is empty");
	if (r->len < HWD_HEADER_SIZE)
		return hwd__fail(err, HWD_E_TRUNCATED, 0, r->len, "header",
				 "file ends at offset 0x%zx inside the 32-byte header", r->len);
	r->major = hwd_get_le16(d + 8);
	r->minor = hwd_get_le16(d + 10);
	r->header_size = hwd_get_le32(d + 12);
	r->pointer_size = hwd_get_le32(d + 16);
	r->file_flags = hwd_get_le32(d + 20);
	if (r->major != HWD_VERSION_MAJOR)
		return hwd__fail(err, HWD_E_VERSION, 0, 8, "header.major",
				 "snapshot format version %u.%u is %s this reader's %u.%u%s", r->major, r->minor,
				 r->major > HWD_VERSION_MAJOR ? "newer than" : "not readable by",
				 HWD_VERSION_MAJOR, HWD_VERSION_MINOR,
				 r->major > HWD_VERSION_MAJOR ? "; a newer heapwalk is needed" : "");
	if (r->header_size < HWD_HEADER_SIZE || r->header_size > HWD_HEADER_SIZE_MAX || (r->header_size & 7))
		return HWD_CORRUPT(err, 12, "header.header_size", "header size %u is not a multiple of 8 "
				   "between 32 and %u", r->header_size, HWD_HEADER_SIZE_MAX);
	if (r->pointer_size != 4 && r->pointer_size != 8)
		return HWD_CORRUPT(err, 16, "header.pointer_size", "pointer size %u is neither 4 nor 8",
				   r->pointer_size);
	if (r->header_size > r->len)
		return hwd__fail(err, HWD_E_TRUNCATED, 0, r->len, "header",
				 "file ends at offset 0x%zx inside the %u-byte header", r->len, r->header_size);
	return 0;
}

int hwd__reader_open(const void *data, size_t len, void *map, size_t map_len, unsigned flags,
		     hwd_check_cb cb, void *user, hwd_reader **out, hwd_error *err)
{
	hwd_reader *r = calloc(1, sizeof *r);
	int rc;
	*out = NULL;
	if (err)
		memset(err, 0, sizeof *err);
	if (!r) {
		if (map)
			munmap(map, map_len);
		return hwd__fail(err, HWD_E_NOMEM, ENOMEM, 0, NULL, "out of memory");
	}
	r->data = data;
	r->len = len;
	r->map = map;
	r->map_len = map_len;
	r->flags = flags;
	r->cb = cb;
	r->user = user;
	for (uint32_t k = 0; k < HWD_CHUNK_KIND__NEXT; k++)
		r->t[k].recsize = hwd__record_size(k);
	if ((rc = parse_header(r, err)))
		goto fail;
	if (r->file_flags & HWD_FLAG_COMPRESSED) {
		if ((rc = hwd__inflate(data, len, r->header_size, !!(flags & HWD__OPEN_CHECK), &r->img, err)))
			goto fail;
		r->image = 1;
		r->data = r->img.data;
		r->len = r->img.len;
	}
	if ((rc = walk(r, err)) ||
	    (rc = check_references(r, r->damage.partial || (flags & HWD_OPEN_SALVAGE), err))) {
		if (err && r->image && !r->err_stored)
			error_to_stored(r, err);
		goto fail;
	}
	r->damage.end_seen = r->end_seen;
	r->damage.chunks_read = r->chunks;
	if (!r->damage.partial && (r->damage.edges_dropped || r->damage.roots_dropped)) {
		r->damage.partial = 1;
		r->damage.cause = HWD_E_CORRUPT;
		snprintf(r->damage.message, sizeof r->damage.message,
			 "dropped %llu edges and %llu roots that named objects beyond the file's",
			 (unsigned long long)r->damage.edges_dropped, (unsigned long long)r->damage.roots_dropped);
	}
	*out = r;
	return 0;
fail:
	hwd_reader_close(r);
	return rc;
}

int hwd__map_file(const char *path, const void **data, size_t *len, void **map, size_t *map_len,
		  hwd_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*map = NULL;
	*map_len = 0;
	*data = NULL;
	*len = 0;
	if (fd < 0)
		return hwd__fail(err, HWD_E_IO, errno, 0, NULL, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		return hwd__fail(err, HWD_E_IO, e, 0, NULL, "cannot read %s: %s", path,
				 e == EINVAL ? "not a regular file" : strerror(e));
	}
	if (st.st_size > 0) {
		if ((uint64_t)st.st_size > SIZE_MAX) {
			close(fd);
			return hwd__fail(err, HWD_E_LIMIT, 0, 0, NULL, "%s is too large to map", path);
		}
		void *m = hwd__map_huge(fd, (size_t)st.st_size, MAP_PRIVATE);
		if (m == MAP_FAILED) {
			int e = errno;
			close(fd);
			return hwd__fail(err, HWD_E_IO, e, 0, NULL, "cannot map %s: %s", path, strerror(e));
		}
		*map = m;
		*map_len = (size_t)st.st_size;
		*data = m;
		*len = (size_t)st.st_size;
	}
	close(fd);
	return 0;
}

int hwd_reader_open(const char *path, unsigned flags, hwd_reader **out, hwd_error *err)
{
	const void *data;
	size_t len, map_len;
	void *map;
	int rc;
	*out = NULL;
	if ((rc = hwd__map_file(path, &data, &len, &map, &map_len, err)))
		return rc;
	return hwd__reader_open(data, len, map, map_len, flags & (HWD_OPEN_SALVAGE | HWD_OPEN_STRICT), NULL,
				NULL, out, err);
}

int hwd_reader_open_memory(const void *data, size_t len, unsigned flags, hwd_reader **out, hwd_error *err)
{
	static const uint8_t empty[1];
	return hwd__reader_open(data ? data : empty, data ? len : 0, NULL, 0,
				flags & (HWD_OPEN_SALVAGE | HWD_OPEN_STRICT), NULL, NULL, out, err);
}

void hwd_reader_close(hwd_reader *r)
{
	if (!r)
		return;
	for (int k = 0; k < HWD_CHUNK_KIND__NEXT; k++) {
		free(r->t[k].runs);
		free(r->t[k].copy);
	}
	free(r->marks);
	free(r->meta);
	free(r->contents);
	if (r->map)
		munmap(r->map, r->map_len);
	hwd__image_free(&r->img);
	free(r);
}

/* ---- accessors ------------------------------------------------------------------------ */

const hwd_damage *hwd_reader_damage(const hwd_reader *r) { return &r->damage; }
uint64_t hwd_reader_skipped_chunks(const hwd_reader *r) { return r->skipped; }
uint32_t hwd_reader_version_major(const hwd_reader *r) { return r->major; }
uint32_t hwd_reader_version_minor(const hwd_reader *r) { return r->minor; }
uint32_t hwd_reader_pointer_size(const hwd_reader *r) { return r->pointer_size; }
int hwd_reader_has_contents(const hwd_reader *r) { return !!(r->file_flags & HWD_FLAG_CONTENTS); }

uint64_t hwd_reader_object_count(const hwd_reader *r) { return r->t[HWD_CHUNK_OBJECTS].count; }
uint64_t hwd_reader_edge_count(const hwd_reader *r) { return r->t[HWD_CHUNK_EDGES].count; }
uint64_t hwd_reader_root_count(const hwd_reader *r) { return r->t[HWD_CHUNK_ROOTS].count; }
uint64_t hwd_reader_type_count(const hwd_reader *r) { return r->t[HWD_CHUNK_TYPES].count; }
uint64_t hwd_reader_string_count(const hwd_reader *r) { return r->nstrs; }
uint64_t hwd_reader_goroutine_count(const hwd_reader *r) { return r->t[HWD_CHUNK_GOROUTINES].count; }
uint64_t hwd_reader_frame_count(const hwd_reader *r) { return r->t[HWD_CHUNK_FRAMES].count; }
uint64_t hwd_reader_thread_count(const hwd_reader *r) { return r->t[HWD_CHUNK_THREADS].count; }
uint64_t hwd_reader_alloc_frame_count(const hwd_reader *r) { return r->t[HWD_CHUNK_ALLOC_FRAMES].count; }
uint64_t hwd_reader_alloc_stack_count(const hwd_reader *r) { return r->t[HWD_CHUNK_ALLOC_STACKS].count; }
uint64_t hwd_reader_alloc_sample_count(const hwd_reader *r) { return r->t[HWD_CHUNK_ALLOC_SAMPLES].count; }

hwd_object hwd_reader_object(const hwd_reader *r, uint32_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_OBJECTS], index);
	if (!q)
		return (hwd_object){ 0 };
	return (hwd_object){ hwd_get_le64(q), hwd_get_le64(q + 8), hwd_get_le32(q + 16), hwd_get_le32(q + 20) };
}

hwd_edge hwd_reader_edge(const hwd_reader *r, uint64_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_EDGES], index);
	if (!q)
		return (hwd_edge){ 0 };
	return (hwd_edge){ hwd_get_le32(q), hwd_get_le32(q + 4), hwd_get_le32(q + 8), hwd_get_le32(q + 12) };
}

hwd_root hwd_reader_root(const hwd_reader *r, uint64_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_ROOTS], index);
	if (!q)
		return (hwd_root){ 0 };
	return (hwd_root){ hwd_get_le16(q), hwd_get_le16(q + 2), hwd_get_le32(q + 4), hwd_get_le32(q + 8),
			   hwd_get_le32(q + 12), hwd_get_le32(q + 16), hwd_get_le32(q + 20), hwd_get_le64(q + 24) };
}

hwd_type hwd_reader_type(const hwd_reader *r, uint32_t id)
{
	const uint8_t *q = id ? record_at(&r->t[HWD_CHUNK_TYPES], (uint64_t)id - 1) : NULL;
	if (!q)
		return (hwd_type){ 0 };
	uint16_t kind = hwd_get_le16(q + 12);
	return (hwd_type){ hwd_get_le64(q), hwd_get_le32(q + 8),
			   kind < HWD_TYPE_KIND__COUNT ? kind : HWD_TYPE_UNKNOWN, hwd_get_le16(q + 14) };
}

hwd_goroutine hwd_reader_goroutine(const hwd_reader *r, uint32_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_GOROUTINES], index);
	if (!q)
		return (hwd_goroutine){ 0 };
	return (hwd_goroutine){ hwd_get_le64(q), (int64_t)hwd_get_le64(q + 8), hwd_get_le64(q + 16),
				hwd_get_le32(q + 24), hwd_get_le32(q + 28), hwd_get_le32(q + 32),
				hwd_get_le32(q + 36), hwd_get_le32(q + 40), hwd_get_le32(q + 44),
				hwd_get_le32(q + 48), hwd_get_le32(q + 52), hwd_get_le32(q + 56),
				hwd_get_le32(q + 60) };
}

hwd_frame hwd_reader_frame(const hwd_reader *r, uint32_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_FRAMES], index);
	if (!q)
		return (hwd_frame){ 0 };
	return (hwd_frame){ hwd_get_le64(q), hwd_get_le64(q + 8), hwd_get_le32(q + 16), hwd_get_le32(q + 20),
			    hwd_get_le32(q + 24), hwd_get_le32(q + 28) };
}

hwd_thread hwd_reader_thread(const hwd_reader *r, uint32_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_THREADS], index);
	if (!q)
		return (hwd_thread){ 0 };
	return (hwd_thread){ hwd_get_le64(q), hwd_get_le64(q + 8), hwd_get_le64(q + 16), hwd_get_le32(q + 24),
			     hwd_get_le32(q + 28) };
}

hwd_alloc_frame hwd_reader_alloc_frame(const hwd_reader *r, uint32_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_ALLOC_FRAMES], index);
	if (!q)
		return (hwd_alloc_frame){ 0 };
	return (hwd_alloc_frame){ hwd_get_le64(q), hwd_get_le32(q + 8), hwd_get_le32(q + 12), hwd_get_le32(q + 16) };
}

hwd_alloc_stack hwd_reader_alloc_stack(const hwd_reader *r, uint32_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_ALLOC_STACKS], index);
	if (!q)
		return (hwd_alloc_stack){ 0 };
	return (hwd_alloc_stack){ hwd_get_le64(q), hwd_get_le32(q + 8), hwd_get_le32(q + 12) };
}

hwd_alloc_sample hwd_reader_alloc_sample(const hwd_reader *r, uint64_t index)
{
	const uint8_t *q = record_at(&r->t[HWD_CHUNK_ALLOC_SAMPLES], index);
	if (!q)
		return (hwd_alloc_sample){ 0 };
	return (hwd_alloc_sample){ hwd_get_le32(q), hwd_get_le32(q + 4) };
}

uint64_t hwd_reader_alloc_samples_of(const hwd_reader *r, uint32_t object, uint64_t *first)
{
	const struct table *t = &r->t[HWD_CHUNK_ALLOC_SAMPLES];
	uint64_t lo = 0, hi = t->count, end; /* lo: the first sample whose object is >= `object` */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (hwd_get_le32(record_at(t, mid)) < object)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo, hi = t->count; end < hi;) { /* end: the first whose object is > `object` */
		uint64_t mid = end + (hi - end) / 2;
		if (hwd_get_le32(record_at(t, mid)) <= object)
			end = mid + 1;
		else
			hi = mid;
	}
	if (first)
		*first = lo;
	return end - lo;
}

const char *hwd_reader_string(const hwd_reader *r, uint32_t id, uint32_t *len)
{
	if (!id || id > r->nstrs) {
		if (len)
			*len = 0;
		return id ? NULL : "";
	}
	size_t lo = 0, hi = r->nmarks; /* the last mark at or below id; marks[0].id is 1 */
	if (id <= STR_DENSE) /* every id up to STR_DENSE has its mark, in order */
		lo = hi = id - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->marks[mid].id <= id)
			lo = mid;
		else
			hi = mid;
	}
	const uint8_t *p = r->marks[lo].p;
	for (uint64_t k = r->marks[lo].id; k < id; k++) /* same chunk: validated lengths */
		p += 4 + (size_t)hwd_get_le32(p);
	if (len)
		*len = hwd_get_le32(p);
	return (const char *)p + 4;
}

uint32_t hwd_reader_find_object(const hwd_reader *r, uint64_t addr)
{
	const struct table *t = &r->t[HWD_CHUNK_OBJECTS];
	size_t lo = 0, hi = t->nruns;
	if (!t->nruns || addr < hwd_get_le64(t->runs[0].records))
		return HWD_NONE;
	while (hi - lo > 1) { /* the last run whose first object starts at or below addr */
		size_t mid = lo + (hi - lo) / 2;
		if (hwd_get_le64(t->runs[mid].records) <= addr)
			lo = mid;
		else
			hi = mid;
	}
	const uint8_t *rec = t->runs[lo].records;
	uint64_t a = 0, b = t->runs[lo].count;
	while (b - a > 1) {
		uint64_t mid = a + (b - a) / 2;
		if (hwd_get_le64(rec + mid * t->recsize) <= addr)
			a = mid;
		else
			b = mid;
	}
	const uint8_t *q = rec + a * t->recsize;
	if (addr - hwd_get_le64(q) < hwd_get_le64(q + 8))
		return (uint32_t)(t->runs[lo].first + a);
	return HWD_NONE;
}

const void *hwd_reader_contents(const hwd_reader *r, uint32_t object, uint64_t *len)
{
	size_t lo = 0, hi = r->ncontents; /* first entry with object > `object` */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->contents[mid].object <= object)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && r->contents[lo - 1].object == object) {
		if (len)
			*len = r->contents[lo - 1].len;
		return r->contents[lo - 1].data;
	}
	if (len)
		*len = 0;
	return NULL;
}

/* The last entry with this key (later values override earlier ones), or NULL. */
static const struct meta_ent *meta_find(const hwd_reader *r, const char *key)
{
	size_t klen = strlen(key);
	for (uint64_t i = r->nmeta; i-- > 0;)
		if (r->meta[i].key_len == klen && memcmp(r->meta[i].key, key, klen) == 0)
			return &r->meta[i];
	return NULL;
}

int hwd_reader_meta_u64(const hwd_reader *r, const char *key, uint64_t *v)
{
	const struct meta_ent *m = meta_find(r, key);
	if (!m || m->type != HWD_META_U64)
		return 0;
	*v = hwd_get_le64(m->val);
	return 1;
}

int hwd_reader_meta_i64(const hwd_reader *r, const char *key, int64_t *v)
{
	const struct meta_ent *m = meta_find(r, key);
	if (!m || m->type != HWD_META_I64)
		return 0;
	*v = (int64_t)hwd_get_le64(m->val);
	return 1;
}

int hwd_reader_meta_f64(const hwd_reader *r, const char *key, double *v)
{
	const struct meta_ent *m = meta_find(r, key);
	if (!m || m->type != HWD_META_F64)
		return 0;
	uint64_t bits = hwd_get_le64(m->val);
	memcpy(v, &bits, 8);
	return 1;
}

int hwd_reader_meta_str(const hwd_reader *r, const char *key, const char **v, uint32_t *len)
{
	const struct meta_ent *m = meta_find(r, key);
	if (!m || m->type != HWD_META_STR)
		return 0;
	*v = (const char *)m->val;
	if (len)
		*len = m->len;
	return 1;
}

int hwd_reader_meta_entry(const hwd_reader *r, uint64_t i, hwd_meta_entry *out)
{
	if (i >= r->nmeta)
		return 0;
	const struct meta_ent *m = &r->meta[i];
	memset(out, 0, sizeof *out);
	out->key = m->key;
	out->key_len = m->key_len;
	out->type = (hwd_meta_type)m->type;
	if (m->type == HWD_META_STR) {
		out->v.str.ptr = (const char *)m->val;
		out->v.str.len = m->len;
	} else {
		out->v.u64 = hwd_get_le64(m->val); /* i64 and f64 read the same bits through the union */
	}
	return 1;
}

int hwd_reader_bulk_ok(const hwd_reader *r)
{
	(void)r;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return 1;
#else
	return 0;
#endif
}

static int run_at(const struct table *t, uint64_t k, hwd_run *out)
{
	if (k >= t->nruns)
		return 0;
	*out = t->runs[k];
	return 1;
}

int hwd_reader_object_run(const hwd_reader *r, uint64_t k, hwd_run *out)
{
	return run_at(&r->t[HWD_CHUNK_OBJECTS], k, out);
}

int hwd_reader_edge_run(const hwd_reader *r, uint64_t k, hwd_run *out)
{
	return run_at(&r->t[HWD_CHUNK_EDGES], k, out);
}
