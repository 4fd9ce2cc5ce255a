/* hwgen.h - what the parts of hwgen, the synthetic snapshot generator, share.
 *
 * hwgen writes heapwalk snapshots of a chosen shape and size through the streaming writer of
 * dumpfmt/hwd.h, for tests, benchmarks and the bundled demo. main.c parses the command line
 * into an hwgen_options; each shape (shape-*.c) writes its objects, edges and roots through an
 * hwgen_out (out.c) and, when asked, states what an exact analysis must find through an
 * hwgen_expect (expect.c). Nothing here holds the graph: shapes recompute whatever they need
 * about an object from (seed, object index) with rng.h, so 10 million objects cost no more
 * memory than ten.
 */
#ifndef HWGEN_H
#define HWGEN_H

#include <stdint.h>
#include <stdio.h>

#include "hwd.h"

typedef enum hwgen_shape {
	HWGEN_SHAPE_RANDOM,    /* N objects, E uniformly random edges, R random roots */
	HWGEN_SHAPE_CHAIN,     /* one root and a linked list N deep */
	HWGEN_SHAPE_FANOUT,    /* one root, one slice of N-1 pointers */
	HWGEN_SHAPE_CACHEDAG,  /* a leak-shaped Go heap around a session cache */
} hwgen_shape;

typedef struct hwgen_options {
	hwgen_shape shape;
	uint64_t objects;      /* random/chain/fanout: exact count; cachedag: an upper bound */
	uint64_t edges;        /* random only */
	uint64_t roots;        /* random only */
	uint64_t seed;
	const char *output;    /* snapshot path, "-" for standard output */
	const char *expect;    /* expectations path, "-" for standard output, NULL for none */
	int series;            /* cachedag: --step given: append the growing structures (series.c) */
	uint64_t step;         /* --step K: the snapshot's position in its series */
	int clean;             /* --clean: the structures keep their step-0 sizes */
} hwgen_options;

/* ---- the snapshot being written (out.c) ------------------------------------------ */

/* Wraps the writer with a sticky error: after the first failure every call is a no-op, so
 * shapes write straight-line code and the failure surfaces once, in hwgen_out_finish().
 * Counts and byte totals feed the metadata and the expectation summary. */
typedef struct hwgen_out {
	hwd_writer *w;
	hwd_error err;
	int rc;                 /* first failure (HWD_E_*), 0 while all is well */
	const char *what;       /* the call that failed first */
	uint64_t objects;       /* added so far; also the index the next object gets */
	uint64_t edges;
	uint64_t roots;
	uint32_t goroutines;    /* added so far: the index the next one gets */
	uint32_t frames;
	uint64_t bytes;         /* sum of object sizes */
	uint64_t next_addr;     /* heap cursor: where the next object goes */
	uint64_t next_global;   /* data-segment cursor for global roots' addresses */
} hwgen_out;

/* Sentinel for hwgen_expect_object(): the object's immediate dominator is the super-root. */
#define HWGEN_SUPER_ROOT 0xFFFFFFFEu

int hwgen_out_open(hwgen_out *o, const hwgen_options *opt);
uint32_t hwgen_out_type(hwgen_out *o, const char *name, uint64_t size, hwd_type_kind kind);
uint32_t hwgen_out_string(hwgen_out *o, const char *s);
/* Places an object of `size` bytes at the heap cursor; returns its index. */
uint32_t hwgen_out_object(hwgen_out *o, uint64_t size, uint32_t type);
void hwgen_out_edge(hwgen_out *o, uint32_t from, uint32_t to, uint32_t label,
		    hwd_edge_kind kind, uint64_t offset);
/* A package-level variable `name` pointing at `object`, given the next data-segment address. */
void hwgen_out_global_root(hwgen_out *o, const char *name, uint32_t object);
void hwgen_out_root(hwgen_out *o, const hwd_root *r);
uint32_t hwgen_out_goroutine(hwgen_out *o, const hwd_goroutine *g);
uint32_t hwgen_out_frame(hwgen_out *o, const hwd_frame *f);
/* Writes the metadata, finishes the file and reports the first failure on stderr.
 * Returns 0 or the HWD_E_* code; the writer is gone either way. */
int hwgen_out_finish(hwgen_out *o, const hwgen_options *opt);
/* Drops the half-written snapshot (nothing is left at the output path). */
void hwgen_out_abort(hwgen_out *o);

/* ---- expectations (expect.c) ----------------------------------------------------- */

/* The sidecar: lines of "key value" and "object INDEX IDOM RETAINED" (format in
 * samples/README.md). Disabled (f == NULL) unless --expect was given; shapes skip the work
 * of computing expectations when it is. */
typedef struct hwgen_expect {
	FILE *f;
	int owned;              /* 1 if f was opened here and must be closed */
} hwgen_expect;

int hwgen_expect_open(hwgen_expect *e, const char *path);
void hwgen_expect_u64(hwgen_expect *e, const char *key, uint64_t v);
void hwgen_expect_str(hwgen_expect *e, const char *key, const char *v);
/* idom: an object index, HWGEN_SUPER_ROOT, or HWD_NONE for an unreachable object
 * (whose retained size is then 0: unreachable objects are counted apart). */
void hwgen_expect_object(hwgen_expect *e, uint32_t index, uint32_t idom, uint64_t retained);
/* Flushes and closes; returns 0, or -1 after printing why on stderr. */
int hwgen_expect_close(hwgen_expect *e, const char *path);

/* ---- shapes (shape-*.c) ---------------------------------------------------------- */

/* Each writes the whole graph through `o` and its expectations through `e`.
 * Returns 0, or -1 after printing why (writer failures are left in o for finish). */
int hwgen_shape_random(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e);
int hwgen_shape_chain(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e);
int hwgen_shape_fanout(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e);
int hwgen_shape_cachedag(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e);

/* ---- the growing structures of a series (series.c) ---------------------------------- */

typedef struct hwgen_series {
	uint64_t entries, listeners, workers;   /* sizes at this step */
	uint32_t map, entry0, group;             /* object indices: requestLog map, entries, group array */
	uint32_t closure0, subs;                 /* closures (and their states), the []func array */
	uint32_t job0;                           /* worker jobs and their buffers */
} hwgen_series;

/* Called by the cachedag shape after its objects, after its edges, and after its roots. */
void hwgen_series_objects(const hwgen_options *opt, hwgen_out *o, hwgen_series *s);
void hwgen_series_edges(hwgen_out *o, const hwgen_series *s);
void hwgen_series_roots(const hwgen_options *opt, hwgen_out *o, const hwgen_series *s, hwgen_expect *e);

/* Smallest --objects the cachedag shape accepts (its fixed part plus a few sessions). */
#define HWGEN_CACHEDAG_MIN_OBJECTS 64u

#endif /* HWGEN_H */
