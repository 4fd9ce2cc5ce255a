/* memaccount.h - where a Go process's memory goes: the runtime's own accounting and the
 * resident set, reconciled line by line (docs/memory-accounting.md).
 *
 * Two readers, one per capture phase. gr_memacct_read() runs while the target is stopped (or
 * over a core) and copies the runtime's counters: runtime.memstats (its sysMemStat fields and
 * the consistent heap stats, whose three generations are summed as the runtime does with the
 * world stopped), mheap_.spanalloc/cachealloc in-use bytes, mheap_'s arena list and
 * internal/runtime/gc.SizeClassToSize. That is a handful of reads of a few KiB: the pause
 * hardly grows. Every offset comes from the target's DWARF. gr_memacct_resident() runs after
 * the target runs again (live targets only): /proc/PID/smaps_rollup gives the RSS,
 * /proc/PID/smaps the resident bytes of each mapping, and /proc/PID/pagemap the resident pages
 * of the heap arenas, which split by what the runtime keeps there (in-use spans, goroutine
 * stacks, the rest). gr_memacct_write() stores both as META mem.go.*, mem.stacks.*,
 * mem.exe.* and mem.rss.* entries (docs/format.md).
 *
 * Units: bytes. Ownership: a gr_memacct owns its arrays; free with gr_memacct_clear().
 */
#ifndef HW_GORUNTIME_MEMACCOUNT_H
#define HW_GORUNTIME_MEMACCOUNT_H

#include <sys/types.h>

#include "hwd.h"
#include "debuginfo/elfinfo.h"
#include "goruntime/walk.h"

/* The runtime's numbers, each defined as the runtime/metrics value of the same name
 * (/memory/classes/...) computes it. */
typedef struct gr_memacct_go {
	uint64_t heap_objects;     /* heap/objects: allocated slots, from the alloc/free counts */
	uint64_t heap_unused;      /* heap/unused: in-use spans minus heap_objects */
	uint64_t heap_free;        /* heap/free: committed, not in a span, not released */
	uint64_t heap_released;    /* heap/released: returned to the OS */
	uint64_t stacks;           /* heap/stacks: stack spans taken from the heap */
	uint64_t os_stacks;        /* os-stacks: stacks_sys */
	uint64_t mspan_inuse, mspan_free;    /* metadata/mspan/... */
	uint64_t mcache_inuse, mcache_free;  /* metadata/mcache/... */
	uint64_t gc;               /* metadata/other: workbufs + gc_misc */
	uint64_t workbufs;         /* GC work buffers (inWorkBufs: spans in the heap arenas) */
	uint64_t gc_misc;          /* gcMiscSys: heap arena metadata, GC bitmaps, ... (off-heap) */
	uint64_t other;            /* other: other_sys */
	uint64_t profiling;        /* profiling/buckets: buckhash_sys */
	uint64_t total;            /* total: the sum of all of the above */
} gr_memacct_go;

/* Resident bytes by what holds them; they add up to rss exactly (unexplained included). */
typedef struct gr_memacct_rss {
	uint64_t rss;                  /* smaps_rollup Rss */
	uint64_t heap_inuse_spans;     /* arena pages in in-use (object) spans */
	uint64_t heap_goroutine_stacks;/* arena pages in live goroutines' stacks */
	uint64_t heap_other;           /* other arena pages: free, cached stacks, work buffers */
	uint64_t runtime_offheap;      /* anonymous memory outside the arenas, up to Go's off-heap
	                                * sys total (the rest is unexplained) */
	uint64_t exe_text_rodata, exe_data_bss;
	uint64_t main_stack;           /* [stack]: the main thread's stack, which Go does not count */
	uint64_t brk;                  /* [heap]: C malloc's brk heap (cgo, libc) */
	uint64_t other_mappings;       /* shared libraries, other files, vdso */
	uint64_t unexplained;
} gr_memacct_rss;

typedef struct gr_memacct {
	gr_memacct_go go;
	uint64_t goroutine_stacks;     /* Σ stack.hi - stack.lo of live goroutines (≤ go.stacks) */
	uint64_t text_rodata_size, data_bss_size;  /* the executable's PT_LOADs, as mapped */
	uint64_t *arenas;              /* base addresses of the heap arenas */
	size_t n_arenas;
	uint64_t arena_bytes;          /* runtime.heapArenaBytes */
	bool has_go;                   /* gr_memacct_read() succeeded */
	bool has_rss;                  /* gr_memacct_resident() succeeded */
	char *note;                    /* why a phase failed, or NULL */
	gr_memacct_rss rss;
} gr_memacct;

/* The accounting is a report beside the heap, so its failures do not fail a dump: each
 * phase records why it could not run in a->note (written as META mem.note), and the lines it
 * could not fill are left out of the snapshot. */

/* Phase 1: reads the runtime's accounting through mem (the stopped target or a core), and
 * sums the stacks of p's goroutines. Fails on a missing struct, field or global (naming
 * it), an unreadable address or an impossible arena count. */
void gr_memacct_read(const gr_mem *mem, hw_dwarf *dw, hw_elf *elf, uint64_t bias,
                     const gr_pause *p, gr_memacct *out);

/* Phase 2, live targets, after phase 1 succeeded: the resident set of pid and its split
 * (fills a->rss); p is the pause phase 1 read (its in-use spans and goroutines). */
void gr_memacct_resident(gr_memacct *a, pid_t pid, hw_elf *elf, uint64_t bias, const gr_pause *p);

/* Writes the META entries (a core has no resident split: mem.rss.note says so).
 * Returns 0 or a HWD_E_* code. */
int gr_memacct_write(hwd_writer *w, const gr_memacct *a);

void gr_memacct_clear(gr_memacct *a);

#endif /* HW_GORUNTIME_MEMACCOUNT_H */
