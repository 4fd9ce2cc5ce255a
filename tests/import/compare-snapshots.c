/* compare-snapshots.c - compares two snapshots of the same heap: objects, types, edges, global roots.
 *
 * The import tests check that `heapwalk import go-heapdump` of a sample's WriteHeapDump and a
 * live `heapwalk dump --pid` of the same parked sample describe the same heap. This tool reads
 * both through the public dumpfmt reader and prints one JSON line: how many objects, edges and
 * global roots each has, how many are in only one of them, and for the objects in both, how
 * many differ in size, malloc-header flag, or type (name and kind), and for the edges in both,
 * how many differ in label (`label_diff`). The one thing a heap dump lacks for typing is a
 * large object's mspan.largeType, so A's objects that differ in type while A names them by
 * size and pointer shape (kind sizeclass) without a malloc header and over 512 bytes — large
 * objects — are counted apart (`a_large_untyped`), for the test to match against the import's
 * own count of them (meta import.large_objects_typed_by_size); every other type difference is
 * in `type_diff`. Differing edges whose source A's program reaches from its own variables
 * (global roots "main.*"), and differing global roots of those variables, are counted apart
 * (`edges_only_from_main`, `globals_only_main`, `label_diff_from_main`): the rest is the
 * runtime's own state (scheduler, timers, goroutine records), which changes as soon as the
 * process runs again. It compares, it does not judge: the test decides.
 *
 * Usage: compare-snapshots A.hwd B.hwd
 */
#include "hwd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compared by (a, b, c); d is a payload compared when those match (an edge's label). */
typedef struct triple {
	uint64_t a, b, c, d;
} triple;

static int cmp_triple(const void *x, const void *y)
{
	const triple *p = x, *q = y;
	if (p->a != q->a) return p->a < q->a ? -1 : 1;
	if (p->b != q->b) return p->b < q->b ? -1 : 1;
	if (p->c != q->c) return p->c < q->c ? -1 : 1;
	return 0;
}

static hwd_reader *open_or_die(const char *path)
{
	hwd_reader *r = NULL;
	hwd_error err = { 0 };
	if (hwd_reader_open(path, HWD_OPEN_STRICT, &r, &err) != 0) {
		fprintf(stderr, "compare-snapshots: %s: %s\n", path, err.message);
		exit(2);
	}
	return r;
}

static triple *xcalloc(uint64_t n)
{
	triple *t = calloc(n ? n : 1, sizeof *t);
	if (!t) {
		fprintf(stderr, "compare-snapshots: out of memory\n");
		exit(2);
	}
	return t;
}

/* A string's FNV-1a hash (labels are compared across snapshots by it). */
static uint64_t string_hash(const hwd_reader *r, uint32_t id)
{
	uint32_t len = 0;
	const char *s = id ? hwd_reader_string(r, id, &len) : NULL;
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; s && i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Edges as (from addr, offset, to addr; label hash), sorted. */
static triple *edges_of(const hwd_reader *r, uint64_t *n)
{
	*n = hwd_reader_edge_count(r);
	triple *t = xcalloc(*n);
	for (uint64_t k = 0; k < *n; k++) {
		hwd_edge e = hwd_reader_edge(r, k);
		t[k] = (triple){ hwd_reader_object(r, e.from).addr, hwd_edge_offset_of(&e), hwd_reader_object(r, e.to).addr,
		                 string_hash(r, e.label) };
	}
	qsort(t, *n, sizeof *t, cmp_triple);
	return t;
}

/* Whether root x is one of the program's own variables ("main.*"). */
static int main_root(const hwd_reader *r, const hwd_root *x)
{
	uint32_t len = 0;
	const char *name = hwd_reader_string(r, x->name, &len);
	return x->kind == HWD_ROOT_GLOBAL && len > 5 && memcmp(name, "main.", 5) == 0;
}

/* Global roots as (addr, target addr, 1 for a main.* variable), sorted. */
static triple *globals_of(const hwd_reader *r, uint64_t *n)
{
	triple *t = xcalloc(hwd_reader_root_count(r));
	*n = 0;
	for (uint64_t k = 0; k < hwd_reader_root_count(r); k++) {
		hwd_root x = hwd_reader_root(r, k);
		if (x.kind == HWD_ROOT_GLOBAL)
			t[(*n)++] = (triple){ x.addr, hwd_reader_object(r, x.object).addr, (uint64_t)main_root(r, &x), 0 };
	}
	qsort(t, *n, sizeof *t, cmp_triple);
	return t;
}

/* Marks the objects of r reachable from its global roots named "main.*" (the program's own
 * variables, not the runtime's), following every edge; explicit stack. */
static unsigned char *reach_main(const hwd_reader *r)
{
	uint64_t n = hwd_reader_object_count(r), ne = hwd_reader_edge_count(r);
	unsigned char *seen = calloc(n ? n : 1, 1);
	uint64_t *first = calloc(n + 1, sizeof *first);
	uint32_t *stack = calloc(n ? n : 1, sizeof *stack);
	if (!seen || !first || !stack) {
		fprintf(stderr, "compare-snapshots: out of memory\n");
		exit(2);
	}
	for (uint64_t k = 0; k < ne; k++)   /* edges are grouped by source: CSR offsets */
		first[hwd_reader_edge(r, k).from + 1]++;
	for (uint64_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	uint64_t sp = 0;
	for (uint64_t k = 0; k < hwd_reader_root_count(r); k++) {
		hwd_root x = hwd_reader_root(r, k);
		if (main_root(r, &x) && !seen[x.object]) {
			seen[x.object] = 1;
			stack[sp++] = x.object;
		}
	}
	while (sp > 0) {
		uint32_t o = stack[--sp];
		for (uint64_t k = first[o]; k < first[o + 1]; k++) {
			uint32_t t = hwd_reader_edge(r, k).to;
			if (!seen[t]) {
				seen[t] = 1;
				stack[sp++] = t;
			}
		}
	}
	free(first);
	free(stack);
	return seen;
}

/* Whether entry t is of the program: with `user`, an edge whose source (first member, an
 * address of ra) is marked in it; without, an entry whose third member is 1. */
static int of_user(const hwd_reader *ra, const unsigned char *user, const triple *t)
{
	uint32_t src = user ? hwd_reader_find_object(ra, t->a) : HWD_NONE;
	return user ? src != HWD_NONE && user[src] : t->c == 1;
}

/* Counts the entries only in a and only in b of two sorted arrays, and of those the ones of the
 * program (of_user); of the entries in both, those whose payloads differ, and of those the
 * program's. Prints up to 5 of each. */
static void diff(const char *what, const hwd_reader *ra, const unsigned char *user, const triple *a, uint64_t na,
                 const triple *b, uint64_t nb, uint64_t *only_a, uint64_t *only_b, uint64_t *in_user,
                 uint64_t *payload, uint64_t *payload_user)
{
	uint64_t i = 0, j = 0;
	*only_a = *only_b = *in_user = *payload = *payload_user = 0;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : cmp_triple(&a[i], &b[j]);
		if (c == 0) {
			if (a[i].d != b[j].d) {
				*payload_user += of_user(ra, user, &a[i]);
				if ((*payload)++ < 5)
					fprintf(stderr, "%s with different labels: 0x%" PRIx64 " %" PRIu64 " 0x%" PRIx64 "\n", what,
					        a[i].a, a[i].b, a[i].c);
			}
			i++;
			j++;
			continue;
		}
		const triple *t = c < 0 ? &a[i++] : &b[j++];
		uint64_t *count = c < 0 ? only_a : only_b;
		*in_user += of_user(ra, user, t);
		if ((*count)++ < 5)
			fprintf(stderr, "%s only in %s: 0x%" PRIx64 " %" PRIu64 " 0x%" PRIx64 "\n", what, c < 0 ? "A" : "B",
			        t->a, t->b, t->c);
	}
}

static int same_string(const hwd_reader *ra, uint32_t ia, const hwd_reader *rb, uint32_t ib)
{
	uint32_t la = 0, lb = 0;
	const char *sa = hwd_reader_string(ra, ia, &la), *sb = hwd_reader_string(rb, ib, &lb);
	return la == lb && (la == 0 || memcmp(sa, sb, la) == 0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: compare-snapshots A.hwd B.hwd\n");
		return 2;
	}
	hwd_reader *a = open_or_die(argv[1]), *b = open_or_die(argv[2]);
	uint64_t na = hwd_reader_object_count(a), nb = hwd_reader_object_count(b);
	uint64_t only_a = 0, only_b = 0, size_diff = 0, header_diff = 0, type_diff = 0, large_untyped = 0;
	uint64_t i = 0, j = 0;
	while (i < na || j < nb) {
		hwd_object oa = hwd_reader_object(a, (uint32_t)i), ob = hwd_reader_object(b, (uint32_t)j);
		if (j == nb || (i < na && oa.addr < ob.addr)) {
			if (only_a++ < 5)
				fprintf(stderr, "object only in A: 0x%" PRIx64 "\n", oa.addr);
			i++;
			continue;
		}
		if (i == na || ob.addr < oa.addr) {
			if (only_b++ < 5)
				fprintf(stderr, "object only in B: 0x%" PRIx64 "\n", ob.addr);
			j++;
			continue;
		}
		size_diff += oa.size != ob.size;
		header_diff += (oa.flags & HWD_OBJ_HAS_HEADER) != (ob.flags & HWD_OBJ_HAS_HEADER);
		hwd_type ta = hwd_reader_type(a, oa.type), tb = hwd_reader_type(b, ob.type);
		if (!same_string(a, ta.name, b, tb.name) || ta.kind != tb.kind) {
			uint32_t la = 0, lb = 0;
			const char *sa = hwd_reader_string(a, ta.name, &la), *sb = hwd_reader_string(b, tb.name, &lb);
			if (ta.kind == HWD_TYPE_SIZECLASS && !(oa.flags & HWD_OBJ_HAS_HEADER) && oa.size > 512) {
				if (large_untyped++ < 5)
					fprintf(stderr, "large object 0x%" PRIx64 " untyped in A: %.*s, B %.*s\n", oa.addr, (int)la, sa,
					        (int)lb, sb);
			} else if (type_diff++ < 5) {
				fprintf(stderr, "type of 0x%" PRIx64 ": A %.*s (kind %u), B %.*s (kind %u)\n", oa.addr, (int)la, sa,
				        ta.kind, (int)lb, sb, tb.kind);
			}
		}
		i++;
		j++;
	}
	uint64_t nea, neb, nga, ngb, e_only_a, e_only_b, g_only_a, g_only_b, e_user, g_user, l_diff, l_user, g_pay, g_pay_user;
	unsigned char *user = reach_main(a);
	triple *ea = edges_of(a, &nea), *eb = edges_of(b, &neb);
	triple *ga = globals_of(a, &nga), *gb = globals_of(b, &ngb);
	diff("edge", a, user, ea, nea, eb, neb, &e_only_a, &e_only_b, &e_user, &l_diff, &l_user);
	diff("global root", a, NULL, ga, nga, gb, ngb, &g_only_a, &g_only_b, &g_user, &g_pay, &g_pay_user);
	printf("{\"objects\":[%" PRIu64 ",%" PRIu64 "],\"objects_only\":[%" PRIu64 ",%" PRIu64 "],\"size_diff\":%" PRIu64
	       ",\"header_diff\":%" PRIu64 ",\"type_diff\":%" PRIu64 ",\"a_large_untyped\":%" PRIu64
	       ",\"edges\":[%" PRIu64 ",%" PRIu64 "],\"edges_only\":[%" PRIu64 ",%" PRIu64 "],\"edges_only_from_main\":%" PRIu64
	       ",\"label_diff\":%" PRIu64 ",\"label_diff_from_main\":%" PRIu64 ",\"globals\":[%" PRIu64
	       ",%" PRIu64 "],\"globals_only\":[%" PRIu64 ",%" PRIu64 "],\"globals_only_main\":%" PRIu64 "}\n",
	       na, nb, only_a, only_b, size_diff, header_diff, type_diff, large_untyped, nea, neb, e_only_a, e_only_b, e_user,
	       l_diff, l_user,
	       nga, ngb, g_only_a, g_only_b, g_user);
	free(user);
	free(ea);
	free(eb);
	free(ga);
	free(gb);
	hwd_reader_close(a);
	hwd_reader_close(b);
	return 0;
}
