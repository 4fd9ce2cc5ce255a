/* walk.h - what the dumper read while the target was stopped, and the walk that turns it into
 * a snapshot.
 *
 * Capture has two phases (capture.c). While the target is stopped, the *_read functions copy
 * runtime state into a gr_pause (spans and allocation bits, goroutine and thread records,
 * specials, module pointer masks) and capture.c copies the pointer-bearing memory into an
 * image. After the target runs again, the *_emit functions walk that copy through a gr_walk
 * and write the snapshot: objects and edges (heapgraph.c), roots of globals, specials and
 * registers (roots.c), goroutines, frames and stack roots (goroutines.c).
 *
 * Ownership: gr_pause owns its arrays (gr_pause_clear); gr_walk borrows everything.
 * gr_walk.typing must be built (gr_typing_build) before the objects are emitted.
 */
#ifndef HW_GORUNTIME_WALK_H
#define HW_GORUNTIME_WALK_H

#include "hwd.h"
#include "debuginfo/dwarfinfo.h"
#include "debuginfo/pclntab.h"
#include "goruntime/objects.h"
#include "goruntime/types.h"
#include "target/thread.h"

typedef struct gr_g {
	uint64_t addr, goid, stack_lo, stack_hi, sched_sp, sched_pc, sched_ctxt;
	uint64_t syscallsp, syscallpc, gopc, startpc, m, defer;
	int64_t waitsince;
	uint32_t status;        /* atomicstatus without _Gscan */
	uint8_t waitreason;
} gr_g;

typedef struct gr_m {
	uint64_t addr, procid, curg, id;
	int32_t mallocing, locks;
} gr_m;

/* A finalizer or cleanup: attached to the object at obj (its user address) as a span
 * special, or already queued to run (obj 0). Every non-zero word is a root. */
typedef enum gr_special_kind {
	GR_FINALIZER,          /* fn; the object's referents */
	GR_CLEANUP,            /* fn, arg and call (1.25+) */
	GR_QUEUED_FINALIZER,   /* fn, arg (the object to finalize), fint, ot */
	GR_QUEUED_CLEANUP,     /* call, fn, arg */
	GR_WEAK_HANDLE,        /* the handle (its target is held weakly, through a uintptr) */
} gr_special_kind;

typedef struct gr_special {
	uint64_t obj;
	uint64_t words[4];
	gr_special_kind kind;
} gr_special;

/* One module's data or bss range and its pointer mask (1 bit per word). */
typedef struct gr_ptr_range {
	uint64_t start, end;
	guint8 *mask;
	uint64_t nbits;
	const char *section;    /* "data" or "bss" */
} gr_ptr_range;

typedef struct gr_pause {
	gr_spans spans;
	GArray *gs;            /* gr_g, live goroutines (not _Gdead) */
	GArray *ms;            /* gr_m */
	GArray *specials;      /* gr_special */
	GArray *ranges;        /* gr_ptr_range */
	uint32_t gcphase;
	size_t n_copystack, n_mallocing, n_locks;
} gr_pause;

void gr_pause_init(gr_pause *p);
void gr_pause_clear(gr_pause *p);

/* Phase 1 readers (target stopped; mem reads the live target). */
gboolean gr_goroutines_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error);
gboolean gr_specials_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error);
gboolean gr_queues_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error);
gboolean gr_ranges_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error);

/* Diagnostics counted during the walk (written as meta "walk.*"). */
typedef struct gr_walk_stats {
	uint64_t edges, ptr_words, nonheap_words, free_slot_words, incomplete_objects;
	uint64_t roots, conservative_roots, frames, unwind_stops;
} gr_walk_stats;

typedef struct gr_walk {
	const gr_mem *mem;          /* the copy (image over executable) */
	const gr_layout *L;
	gr_pause *pause;
	gr_objects objects;
	gr_types *types;
	hw_pclntab *pcln;
	hw_dwarf *dwarf;
	uint64_t bias;
	const hw_thread *threads;
	size_t n_threads;
	int64_t now_mono_ns;        /* CLOCK_MONOTONIC at capture, -1 unknown (cores) */
	hwd_writer *w;
	const struct gr_typing *typing;  /* object types and edge labels (typeprop.h), or NULL */
	/* The pointer words of object k (offsets from its slot), which typeprop.c reads to name a
	 * small untyped object without a malloc header by its shape. NULL: the span's heap bits,
	 * read through mem (a capture); an import, which has no heap bits, gives its own. */
	void (*ptr_words)(void *ctx, uint32_t k, void (*word)(void *user, uint64_t off), void *user);
	void *ptr_words_ctx;
	gr_walk_stats st;
} gr_walk;

/* Phase 2 (target running again). Called in this order: objects, edges, then the roots,
 * goroutines and threads in any order. */
gboolean gr_heap_emit_objects(gr_walk *w, GError **error);
gboolean gr_heap_emit_edges(gr_walk *w, GError **error);
gboolean gr_roots_emit_globals(gr_walk *w, GError **error);
gboolean gr_roots_emit_specials(gr_walk *w, GError **error);
gboolean gr_roots_emit_threads(gr_walk *w, GError **error);
gboolean gr_goroutines_emit(gr_walk *w, GError **error);

/* One physical frame of a goroutine's stack, as gr_goroutine_unwind found it. */
typedef struct gr_frame {
	hw_func fn;
	uint64_t pc, sp;
	uint64_t fp;             /* the caller's sp: the CFA, just above the return address */
	uint64_t varp;           /* the top of the locals (below the saved frame pointer) */
	uint32_t depth;          /* 0 for the innermost frame */
	bool known;              /* FALSE: unwinding stopped at sp (unknown code, no frame size):
	                          * only pc, sp and depth are set, and no frame follows */
	bool conservative;       /* no exact stack map at pc (an interrupted innermost frame,
	                          * asyncPreempt and its caller): scanned conservatively */
} gr_frame;

typedef gboolean (*gr_frame_fn)(void *ctx, const gr_frame *f, GError **error);

/* Unwinds g's stack the way the runtime does (goroutines.c), calling frame for each physical
 * frame, innermost first; a FALSE from frame stops it and is returned. */
gboolean gr_goroutine_unwind(gr_walk *w, const gr_g *g, gr_frame_fn frame, void *ctx, GError **error);

/* Calls slot with the address of every pointer slot that the stack maps of the exact frame f
 * say is live (locals, arguments, stack objects); a FALSE from slot stops it and is returned.
 * *fallback when f's maps are missing (the frame is then scanned conservatively). */
gboolean gr_frame_live_slots(gr_walk *w, const gr_frame *f, gboolean (*slot)(void *ctx, uint64_t addr, GError **error),
                             void *ctx, bool *fallback, GError **error);

/* Writes a root for the word at addr holding value when value points into a heap object;
 * returns whether it did. name is a string id. */
gboolean gr_walk_root(gr_walk *w, hwd_root_kind kind, uint16_t flags, uint32_t name, uint64_t addr,
                      uint64_t value, uint32_t goroutine, uint32_t frame, GError **error);

/* A writer failure as a GError. */
gboolean gr_walk_check(int rc, const char *what, GError **error);

#endif /* HW_GORUNTIME_WALK_H */
