/* goheapdump.h - a reader of Go's runtime/debug.WriteHeapDump files ("go1.7 heap dump").
 *
 * The format has no published specification for current Go; it is whatever
 * src/runtime/heapdump.go writes (Go 1.22-1.26 write the same records): a 16-byte header,
 * then records, each an unsigned LEB128 tag followed by varints, strings and memory ranges
 * (a varint length and that many bytes), and pointer field lists ((kind 1, offset) pairs
 * ended by kind 0), up to an EOF record.
 *
 * hw_goheapdump_parse() walks the whole file once and validates every record: varints
 * (at most 64 bits), every length against what is left of the file, field offsets against the
 * memory range they index, the records' order (frames, defers and panics belong to the
 * goroutine before them; one Params and one MemStats record; nothing after EOF). Errors name
 * the record kind, its file offset and the offset of the bad field. Nothing is allocated by a
 * count read from the file: the arrays grow per record parsed, so their size is bounded by
 * the file's.
 *
 * The records are kept as small structs that point back into the file by offset (contents,
 * strings, field lists); the file's bytes must outlive the hw_goheapdump.
 *
 * Lifetime: hw_goheapdump_parse() returns a dump freed with hw_goheapdump_free(); it borrows
 * `data`. Units: bytes; addresses as the dumped process saw them.
 */
#ifndef HW_IMPORT_GOHEAPDUMP_H
#define HW_IMPORT_GOHEAPDUMP_H

#include <glib.h>

#include "import/import.h"

G_BEGIN_DECLS

/* A pointer field list in the file: `n` (kind, offset) pairs starting at file offset `off`. */
typedef struct {
	guint64 off;
	guint32 n;
} hw_ghd_fields;

/* An Object record (one slot of an in-use span: slot base, elemsize bytes) or a Data/BSS
 * record (a module's data or bss). Field offsets are from addr, multiples of 8, strictly
 * increasing, and each word lies inside the contents. */
typedef struct {
	guint64 addr;
	guint64 data_off;      /* file offset of the contents */
	guint64 len;           /* bytes of contents */
	guint64 rec_off;       /* file offset of the record, for messages */
	hw_ghd_fields fields;
} hw_ghd_memory;

/* A StackFrame record. Field offsets are from sp; words past the contents are possible in
 * principle (argument maps) and are skipped by users. */
typedef struct {
	guint64 sp, depth, child_sp, entry, pc, continpc;
	guint64 data_off, len;
	guint64 name_off;
	guint32 name_len;
	guint32 goroutine;     /* index of its goroutine in hw_goheapdump.goroutines */
	hw_ghd_fields fields;
	guint64 rec_off;
} hw_ghd_frame;

/* A Goroutine record; its frames, defers and panics are the records after it. */
typedef struct {
	guint64 g, sp, goid, gopc, status, waitsince, ctxt, m, defer, panic;
	gboolean system;
	guint64 waitreason_off;
	guint32 waitreason_len;
	guint32 first_frame, nframes;   /* into hw_goheapdump.frames */
	guint64 rec_off;
} hw_ghd_goroutine;

typedef struct {
	guint64 obj, fn, fnpc, fint, ot;
	gboolean queued;       /* a QueuedFinalizer record (already queued to run) */
} hw_ghd_finalizer;

typedef struct {
	guint64 m, id, procid;
} hw_ghd_thread;

/* A Type record (the runtime writes them for the types of itabs). */
typedef struct {
	guint64 addr, size;
	guint64 name_off;
	guint32 name_len;
	gboolean indirect;
} hw_ghd_type;

/* Defer and Panic records: the words heapdump.go writes. */
typedef struct {
	guint64 d, g, sp, pc, fn, fnpc, link;
	guint32 goroutine;
} hw_ghd_defer;

typedef struct {
	guint64 p, g, argtype, argdata, defer, link;
	guint32 goroutine;
} hw_ghd_panic;

typedef struct {
	guint64 desc_off;
	guint32 desc_len;
	guint64 to;
} hw_ghd_other_root;

/* runtime.MemStats as the dump carries it (heapdump.go's order; PauseNs is skipped). */
typedef struct {
	guint64 alloc, total_alloc, sys, lookups, mallocs, frees;
	guint64 heap_alloc, heap_sys, heap_idle, heap_inuse, heap_released, heap_objects;
	guint64 stack_inuse, stack_sys, mspan_inuse, mspan_sys, mcache_inuse, mcache_sys;
	guint64 buckhash_sys, gc_sys, other_sys, next_gc, last_gc, pause_total_ns;
	guint64 num_gc;
} hw_ghd_memstats;

/* A MemProf record: one heap-profile bucket. Its nstk frames (function and file strings and a
 * line each, as the runtime wrote them: the physical function, the file and line at the pc)
 * start at file offset stk_off; read them with hw_goheapdump_bucket_frames(). */
typedef struct {
	guint64 addr, size, stk_off;
	guint32 nstk;
} hw_ghd_bucket;

/* An AllocSample record: a sampled allocation (its address) and its bucket's address. */
typedef struct {
	guint64 obj, bucket;
} hw_ghd_alloc_sample;

typedef struct hw_goheapdump {
	const guint8 *data;    /* borrowed: the whole file */
	gsize len;
	/* Params */
	guint64 ptr_size, arena_start, arena_end, ncpu;
	gboolean big_endian;
	guint64 goarch_off, version_off;
	guint32 goarch_len, version_len;
	hw_ghd_memstats memstats;
	/* Records, in file order (GArrays of the types above). */
	GArray *objects;       /* hw_ghd_memory */
	hw_ghd_memory data_seg, bss_seg;   /* the Data and BSS records (zero when absent) */
	gboolean has_data, has_bss;
	GArray *goroutines;    /* hw_ghd_goroutine */
	GArray *frames;        /* hw_ghd_frame, grouped by goroutine, innermost first */
	GArray *finalizers;    /* hw_ghd_finalizer */
	GArray *threads;       /* hw_ghd_thread */
	GArray *types;         /* hw_ghd_type */
	GArray *defers;        /* hw_ghd_defer */
	GArray *panics;        /* hw_ghd_panic */
	GArray *other_roots;   /* hw_ghd_other_root */
	GArray *buckets;       /* hw_ghd_bucket */
	GArray *alloc_samples; /* hw_ghd_alloc_sample */
	guint64 itabs;
} hw_goheapdump;

/* Parses the len bytes at data (a whole heap dump). Errors: HW_IMPORT_ERROR_FORMAT (no
 * heap dump header), _TRUNCATED (the file ends inside a record or before EOF), _CORRUPT
 * (an impossible value), _UNSUPPORTED (a big-endian or 32-bit dump). */
hw_goheapdump *hw_goheapdump_parse(const guint8 *data, gsize len, GError **error);
void hw_goheapdump_free(hw_goheapdump *d);

/* The frames of a bucket, innermost first: calls fn once per frame with the function and
 * file (not NUL-terminated) and the line. Never fails on a bucket the parse accepted. */
typedef void (*hw_ghd_frame_fn)(void *user, const char *func, guint32 func_len, const char *file,
                                guint32 file_len, guint64 line);
void hw_goheapdump_bucket_frames(const hw_goheapdump *d, const hw_ghd_bucket *b, hw_ghd_frame_fn fn, void *user);

/* A string of the file (name, wait reason, ...) as a new NUL-terminated copy. */
char *hw_goheapdump_string(const hw_goheapdump *d, guint64 off, guint32 len);

/* The byte offsets of a field list (as validated by the parse), in order. Calls fn for each;
 * never fails on a list the parse accepted. */
typedef void (*hw_ghd_field_fn)(void *user, guint64 off);
void hw_goheapdump_fields(const hw_goheapdump *d, hw_ghd_fields f, hw_ghd_field_fn fn, void *user);

/* The first offset of a non-empty field list. */
guint64 hw_goheapdump_first_field(const hw_goheapdump *d, hw_ghd_fields f);

/* The little-endian word at byte `off` of a memory range of the file (data_off, len);
 * FALSE if it does not lie inside. */
gboolean hw_goheapdump_word(const hw_goheapdump *d, guint64 data_off, guint64 len, guint64 off,
                            guint64 *out);

/* Whether the dumping runtime used the Green Tea collector (Go 1.26 default, 1.25 with
 * GOEXPERIMENT=greenteagc), from the version string of the Params record ("go1.26.8",
 * "go1.25.1 X:greenteagc"). Errors: _UNSUPPORTED for a version before Go 1.22 or one that is
 * not recognised. */
gboolean hw_goheapdump_greentea(const hw_goheapdump *d, gboolean *greentea, GError **error);

/* The importer (goheapdump-import.c): reads opt->input, writes opt->output; opt->exe, when
 * given, must be the program that wrote the dump. */
gboolean hw_import_go_heapdump(const hw_import_options *opt, hw_import_result *res, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_goheapdump, hw_goheapdump_free)

G_END_DECLS

#endif /* HW_IMPORT_GOHEAPDUMP_H */
