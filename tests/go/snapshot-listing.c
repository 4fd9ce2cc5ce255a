/* snapshot-listing.c - prints a heapwalk snapshot as the canonical listing the heap-dump oracle prints.
 *
 * The Go integration tests compare what the dumper captured with what the Go runtime's own
 * debug.WriteHeapDump wrote at the same stop point. Both sides are reduced to the same text
 * (tests/go/oracle/main.go documents the lines): `obj ADDR SIZE`, `edge FROM OFFSET TO`,
 * `root global ADDR TO`, sorted, fixed-width hex. This tool reads the snapshot only through the
 * public dumpfmt reader (hwd.h), so it depends on no CLI output format.
 *
 * It also prints one JSON summary line on stdout: counts and bytes (slot bytes add the 8-byte
 * malloc header back, to compare with MemStats.HeapAlloc), goroutines with creation sites, edge
 * kinds, and two consistency checks that need no oracle: with contents present, every edge's
 * source word must hold a value inside its target (`bad_edges`); and optionally the retained
 * size of the object a named global points to (brute force: what becomes unreachable from the
 * roots when that object is removed, weak edges not followed).
 *
 * Usage: snapshot-listing SNAP LISTING [--retained-global NAME]
 */
#include "hwd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct listed_edge {
	uint64_t from, to;
	uint32_t offset;
} listed_edge;

static int cmp_edge(const void *a, const void *b)
{
	const listed_edge *x = a, *y = b;
	if (x->from != y->from) return x->from < y->from ? -1 : 1;
	if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
	if (x->to != y->to) return x->to < y->to ? -1 : 1;
	return 0;
}

typedef struct listed_root {
	uint64_t addr, to;
} listed_root;

static int cmp_root(const void *a, const void *b)
{
	const listed_root *x = a, *y = b;
	if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
	if (x->to != y->to) return x->to < y->to ? -1 : 1;
	return 0;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "snapshot-listing: out of memory (%zu x %zu bytes)\n", n, size);
		exit(2);
	}
	return p;
}

/* Prints s as a JSON string. */
static void json_str(FILE *f, const char *s, uint32_t len)
{
	fputc('"', f);
	for (uint32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_string_id(FILE *f, const hwd_reader *r, uint32_t id)
{
	uint32_t len = 0;
	const char *s = hwd_reader_string(r, id, &len);
	json_str(f, s ? s : "", s ? len : 0);
}

/* Marks what the roots reach without passing through object `skip` (HWD_NONE: none), over
 * the CSR arrays `first` (n+1 offsets into `to`). Explicit stack. */
static void reach(const hwd_reader *r, uint64_t n, const uint64_t *first, const uint32_t *to,
		  uint32_t skip, unsigned char *seen, uint32_t *stack)
{
	uint64_t sp = 0;
	memset(seen, 0, n);
	for (uint64_t i = 0; i < hwd_reader_root_count(r); i++) {
		uint32_t o = hwd_reader_root(r, i).object;
		if (o < n && o != skip && !seen[o]) {
			seen[o] = 1;
			stack[sp++] = o;
		}
	}
	while (sp > 0) {
		uint32_t o = stack[--sp];
		for (uint64_t k = first[o]; k < first[o + 1]; k++) {
			uint32_t t = to[k];
			if (t != skip && !seen[t]) {
				seen[t] = 1;
				stack[sp++] = t;
			}
		}
	}
}

/* Retained size of the object the global root named `name` points to; prints the JSON member. */
static int print_retained(FILE *out, const hwd_reader *r, const char *name)
{
	uint64_t n = hwd_reader_object_count(r), ne = hwd_reader_edge_count(r);
	uint32_t target = HWD_NONE;
	for (uint64_t i = 0; i < hwd_reader_root_count(r) && target == HWD_NONE; i++) {
		hwd_root root = hwd_reader_root(r, i);
		uint32_t len = 0;
		const char *s = hwd_reader_string(r, root.name, &len);
		if (root.kind == HWD_ROOT_GLOBAL && s && len == strlen(name) && memcmp(s, name, len) == 0)
			target = root.object;
	}
	if (target == HWD_NONE) {
		fprintf(stderr, "snapshot-listing: no global root named %s\n", name);
		return -1;
	}
	uint64_t *first = xcalloc(n + 1, sizeof *first);
	uint32_t *to = xcalloc(ne, sizeof *to);
	for (uint64_t k = 0; k < ne; k++) {
		hwd_edge e = hwd_reader_edge(r, k);
		if (hwd_edge_kind_of(&e) == HWD_EDGE_WEAK)
			continue;
		first[e.from + 1]++;
	}
	for (uint64_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	uint64_t *fill = xcalloc(n + 1, sizeof *fill);
	memcpy(fill, first, (n + 1) * sizeof *fill);
	for (uint64_t k = 0; k < ne; k++) {
		hwd_edge e = hwd_reader_edge(r, k);
		if (hwd_edge_kind_of(&e) == HWD_EDGE_WEAK)
			continue;
		to[fill[e.from]++] = e.to;
	}
	unsigned char *all = xcalloc(n, 1), *without = xcalloc(n, 1);
	uint32_t *stack = xcalloc(n, sizeof *stack);
	reach(r, n, first, to, HWD_NONE, all, stack);
	reach(r, n, first, to, target, without, stack);
	uint64_t objects = 0, bytes = 0, slot_bytes = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (all[i] && !without[i]) {
			hwd_object o = hwd_reader_object(r, (uint32_t)i);
			objects++;
			bytes += o.size;
			slot_bytes += o.size + ((o.flags & HWD_OBJ_HAS_HEADER) ? 8 : 0);
		}
	}
	fprintf(out, ",\"retained\":{\"symbol\":");
	json_str(out, name, (uint32_t)strlen(name));
	fprintf(out, ",\"target\":\"0x%" PRIx64 "\",\"Objects\":%" PRIu64 ",\"Bytes\":%" PRIu64 ",\"SlotBytes\":%" PRIu64 "}",
		hwd_reader_object(r, target).addr, objects, bytes, slot_bytes);
	free(first);
	free(fill);
	free(to);
	free(all);
	free(without);
	free(stack);
	return 0;
}

int main(int argc, char **argv)
{
	const char *retained_global = NULL;
	if (argc == 5 && strcmp(argv[3], "--retained-global") == 0)
		retained_global = argv[4];
	else if (argc != 3) {
		fprintf(stderr, "usage: snapshot-listing SNAP LISTING [--retained-global NAME]\n");
		return 2;
	}
	hwd_reader *r = NULL;
	hwd_error err = {0};
	if (hwd_reader_open(argv[1], HWD_OPEN_STRICT, &r, &err) != 0) {
		fprintf(stderr, "snapshot-listing: %s: %s (%s at offset %" PRIu64 ", field %s)\n", argv[1], err.message,
			hwd_strerror(err.code), err.offset, err.field ? err.field : "-");
		return 2;
	}
	FILE *lst = fopen(argv[2], "w");
	if (!lst) {
		perror(argv[2]);
		return 2;
	}
	uint64_t n = hwd_reader_object_count(r), ne = hwd_reader_edge_count(r);
	uint64_t bytes = 0, slot_bytes = 0, headers = 0, tiny = 0, incomplete = 0;
	for (uint64_t i = 0; i < n; i++) {
		hwd_object o = hwd_reader_object(r, (uint32_t)i);
		fprintf(lst, "obj %016" PRIx64 " %" PRIu64 "\n", o.addr, o.size);
		bytes += o.size;
		slot_bytes += o.size + ((o.flags & HWD_OBJ_HAS_HEADER) ? 8 : 0);
		headers += !!(o.flags & HWD_OBJ_HAS_HEADER);
		tiny += !!(o.flags & HWD_OBJ_TINY_BLOCK);
		incomplete += !!(o.flags & HWD_OBJ_INCOMPLETE);
	}
	listed_edge *edges = xcalloc(ne, sizeof *edges);
	uint64_t kinds[HWD_EDGE_KIND__COUNT] = {0}, unknown_offset = 0, bad_edges = 0, checked_edges = 0;
	int contents = hwd_reader_has_contents(r);
	for (uint64_t k = 0; k < ne; k++) {
		hwd_edge e = hwd_reader_edge(r, k);
		hwd_object from = hwd_reader_object(r, e.from), to = hwd_reader_object(r, e.to);
		uint32_t off = hwd_edge_offset_of(&e);
		edges[k] = (listed_edge){from.addr, to.addr, off};
		if (hwd_edge_kind_of(&e) < HWD_EDGE_KIND__COUNT)
			kinds[hwd_edge_kind_of(&e)]++;
		if (off == HWD_EDGE_OFFSET_UNKNOWN) {
			unknown_offset++;
			continue;
		}
		uint64_t len = 0;
		const unsigned char *data = contents ? hwd_reader_contents(r, e.from, &len) : NULL;
		if (data && (uint64_t)off + 8 <= len) {
			uint64_t v;
			memcpy(&v, data + off, 8);
			checked_edges++;
			if (v < to.addr || v - to.addr >= to.size) {
				if (bad_edges < 10)
					fprintf(stderr, "snapshot-listing: edge %" PRIu64 ": word at 0x%" PRIx64 "+%u holds 0x%" PRIx64
						", not inside its target 0x%" PRIx64 " (%" PRIu64 " bytes)\n",
						k, from.addr, off, v, to.addr, to.size);
				bad_edges++;
			}
		}
	}
	qsort(edges, ne, sizeof *edges, cmp_edge);
	for (uint64_t k = 0; k < ne; k++) {
		if (edges[k].offset == HWD_EDGE_OFFSET_UNKNOWN)
			fprintf(lst, "edge %016" PRIx64 " ? %016" PRIx64 "\n", edges[k].from, edges[k].to);
		else
			fprintf(lst, "edge %016" PRIx64 " %u %016" PRIx64 "\n", edges[k].from, edges[k].offset, edges[k].to);
	}
	free(edges);
	uint64_t nr = hwd_reader_root_count(r), root_kinds[HWD_ROOT_KIND__COUNT] = {0};
	listed_root *roots = xcalloc(nr, sizeof *roots);
	uint64_t ng = 0;
	for (uint64_t i = 0; i < nr; i++) {
		hwd_root root = hwd_reader_root(r, i);
		if (root.kind < HWD_ROOT_KIND__COUNT)
			root_kinds[root.kind]++;
		if (root.kind == HWD_ROOT_GLOBAL && root.addr != 0)
			roots[ng++] = (listed_root){root.addr, hwd_reader_object(r, root.object).addr};
	}
	qsort(roots, ng, sizeof *roots, cmp_root);
	for (uint64_t i = 0; i < ng; i++)
		fprintf(lst, "root global %016" PRIx64 " %016" PRIx64 "\n", roots[i].addr, roots[i].to);
	free(roots);
	if (fclose(lst) != 0) {
		perror(argv[2]);
		return 2;
	}

	FILE *out = stdout;
	fprintf(out, "{\"objects\":%" PRIu64 ",\"object_bytes\":%" PRIu64 ",\"slot_bytes\":%" PRIu64
		",\"header_objects\":%" PRIu64 ",\"tiny_blocks\":%" PRIu64 ",\"incomplete_objects\":%" PRIu64
		",\"edges\":%" PRIu64 ",\"edge_kinds\":{\"strong\":%" PRIu64 ",\"weak\":%" PRIu64 ",\"finalizer\":%" PRIu64
		",\"conservative\":%" PRIu64 ",\"internal\":%" PRIu64 "},\"unknown_offsets\":%" PRIu64
		",\"has_contents\":%s,\"checked_edges\":%" PRIu64 ",\"bad_edges\":%" PRIu64,
		n, bytes, slot_bytes, headers, tiny, incomplete, ne, kinds[HWD_EDGE_STRONG], kinds[HWD_EDGE_WEAK],
		kinds[HWD_EDGE_FINALIZER], kinds[HWD_EDGE_CONSERVATIVE], kinds[HWD_EDGE_INTERNAL], unknown_offset,
		contents ? "true" : "false", checked_edges, bad_edges);
	fprintf(out, ",\"roots\":{\"global\":%" PRIu64 ",\"stack\":%" PRIu64 ",\"register\":%" PRIu64
		",\"finalizer\":%" PRIu64 ",\"other\":%" PRIu64 "}",
		root_kinds[HWD_ROOT_GLOBAL], root_kinds[HWD_ROOT_STACK], root_kinds[HWD_ROOT_REGISTER],
		root_kinds[HWD_ROOT_FINALIZER], root_kinds[HWD_ROOT_OTHER]);
	fprintf(out, ",\"goroutines\":[");
	for (uint64_t i = 0; i < hwd_reader_goroutine_count(r); i++) {
		hwd_goroutine g = hwd_reader_goroutine(r, (uint32_t)i);
		fprintf(out, "%s{\"id\":%" PRIu64 ",\"state\":", i ? "," : "", g.id);
		json_string_id(out, r, g.state);
		fprintf(out, ",\"wait_reason\":");
		json_string_id(out, r, g.wait_reason);
		fprintf(out, ",\"creator_func\":");
		json_string_id(out, r, g.creator_func);
		uint32_t len = 0;
		const char *file = hwd_reader_string(r, g.creator_file, &len);
		char *site = xcalloc((size_t)len + 16, 1);
		memcpy(site, file ? file : "", file ? len : 0);
		int sl = snprintf(site + len, 16, ":%u", g.creator_line);
		fprintf(out, ",\"creator_site\":");
		json_str(out, site, len + (uint32_t)sl);
		free(site);
		fprintf(out, "}");
	}
	fprintf(out, "]");
	int rc = 0;
	if (retained_global && print_retained(out, r, retained_global) != 0)
		rc = 1;
	fprintf(out, "}\n");
	hwd_reader_close(r);
	return rc;
}
