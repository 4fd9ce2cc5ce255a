/* allocsites.h - where sampled heap objects were allocated: the Go heap profiler's records.
 *
 * Every allocation the heap profiler samples (one per runtime.MemProfileRate bytes on average,
 * every one when the rate is 1) gets a profile special on its span (specialprofile{special;
 * b *bucket}) naming its bucket; a bucket (runtime.bucket: next, allnext, typ, hash, size,
 * nstk, then nstk return pcs and a memRecord) holds the call stack and the size the profiler
 * counts. Like the other specials (roots.c), these are read while the target is stopped
 * (gr_allocsites_read, into plain arrays); after it runs again gr_allocsites_emit symbolizes
 * the stacks with the pclntab (one logical frame per pc: the runtime's callers() already
 * expanded inlined calls) and writes the snapshot's ALLOC_* records and meta memprof.rate.
 *
 * Allocation sites are an addition to the heap graph, never a reason to fail a dump: what
 * cannot be read (no DWARF for the bucket, a corrupt list) is skipped and said in `note`,
 * written as meta memprof.note.
 *
 * Ownership: gr_allocsites owns its arrays and note (gr_allocsites_clear).
 */
#ifndef HW_GORUNTIME_ALLOCSITES_H
#define HW_GORUNTIME_ALLOCSITES_H

#include "goruntime/walk.h"

typedef struct gr_alloc_bucket {
	uint64_t size;        /* bucket.size: bytes per allocation as the profiler counts them */
	uint32_t first_pc;    /* into gr_allocsites.pcs */
	uint32_t npcs;
} gr_alloc_bucket;

typedef struct gr_alloc_sample {
	uint64_t addr;        /* the allocation's address (span base + special offset) */
	uint32_t bucket;      /* index into gr_allocsites.buckets */
} gr_alloc_sample;

typedef struct gr_allocsites {
	GArray *samples;      /* gr_alloc_sample, in span order */
	GArray *buckets;      /* gr_alloc_bucket, in order of first use */
	GArray *pcs;          /* uint64_t return pcs, innermost first per bucket */
	int64_t rate;         /* runtime.MemProfileRate, -1 when it could not be read */
	GString *note;        /* what was skipped and why; NULL when nothing was */
} gr_allocsites;

void gr_allocsites_init(gr_allocsites *a);
void gr_allocsites_clear(gr_allocsites *a);

/* Phase 1 (target stopped): the profile specials of every span in `spans` and their buckets.
 * Offsets and constants come from dw (bias: the load bias for globals). Never fails: see
 * the file comment. */
void gr_allocsites_read(const gr_mem *mem, hw_dwarf *dw, uint64_t bias, const gr_layout *L,
                        const gr_spans *spans, gr_allocsites *a);

/* Phase 2, after the objects are emitted: frames, stacks, samples (each sample maps to the
 * object containing its address; samples of no object are counted in the note) and meta.
 * Fails only when the writer does. */
gboolean gr_allocsites_emit(gr_walk *w, const gr_allocsites *a, GError **error);

#endif /* HW_GORUNTIME_ALLOCSITES_H */
