/* hwd.h - the heapwalk snapshot format: public API of the writer and the reader.
 *
 * dumpfmt is an island: it depends on libc and libzstd alone, so that any program (a
 * dumper, an importer, a test generator, another analyzer) can write and read snapshots by
 * embedding this directory. Every public name starts with hwd_ / HWD_.
 * The on-disk layout is specified twice, in docs/format.md and in hwd-format.h,
 * and the two are kept in step.
 *
 * Errors: every fallible function returns 0 on success or a negative HWD_E_* code,
 * and fills the optional hwd_error (NULL is allowed) with the code, the file offset,
 * the field at fault and a sentence. Nothing here prints, exits or aborts on bad input.
 *
 * Units: sizes and offsets in bytes, times in nanoseconds, addresses as the target saw them.
 * Object indices are dense, 0-based, in file order; string and type ids are 1-based
 * (0 means "none").
 */
#ifndef HWD_H
#define HWD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HWD_BUILDING) && defined(__GNUC__)
#define HWD_API __attribute__((visibility("default")))
#else
#define HWD_API
#endif

#define HWD_VERSION_MAJOR 1
#define HWD_VERSION_MINOR 2    /* 1.1 added compressed chunks, 1.2 allocation sites */

/* Largest object count a snapshot may hold: indices are 32-bit, and ~0u is "none". */
#define HWD_MAX_OBJECTS 0xFFFFFFFEu
#define HWD_NONE 0xFFFFFFFFu

/* ---- errors --------------------------------------------------------------------- */

enum {
	HWD_OK = 0,
	HWD_E_IO = -1,          /* open/read/write/rename failed; errno is in hwd_error.sys_errno */
	HWD_E_NOMEM = -2,
	HWD_E_FORMAT = -3,      /* not a heapwalk snapshot (bad magic) */
	HWD_E_VERSION = -4,     /* a newer major version than this reader knows */
	HWD_E_CORRUPT = -5,     /* a field holds an impossible value; offset and field say where */
	HWD_E_TRUNCATED = -6,   /* the file ends inside a chunk, or before the END chunk */
	HWD_E_USAGE = -7,       /* the caller broke the API contract (e.g. edges out of order) */
	HWD_E_LIMIT = -8,       /* more than HWD_MAX_OBJECTS objects, or a chunk over its limit */
};

typedef struct hwd_error {
	int code;              /* HWD_E_*, 0 when no error */
	int sys_errno;         /* errno for HWD_E_IO, else 0 */
	uint64_t offset;       /* file offset of the problem, when it has one */
	const char *field;     /* static string naming the field or record at fault, or NULL */
	char message[256];     /* one sentence, no trailing newline */
} hwd_error;

/* Returns a static name for an HWD_E_* code ("corrupt", "truncated", ...). */
HWD_API const char *hwd_strerror(int code);

/* ---- the model ------------------------------------------------------------------ */

/* Kinds of types, as the producing runtime sees them. On-disk values: never renumber. */
typedef enum hwd_type_kind {
	HWD_TYPE_UNKNOWN = 0,
	HWD_TYPE_STRUCT = 1,
	HWD_TYPE_POINTER = 2,
	HWD_TYPE_SLICE_ARRAY = 3,  /* backing array of a slice, or an array */
	HWD_TYPE_MAP = 4,          /* map header or map internals (tables, groups, buckets) */
	HWD_TYPE_CHAN = 5,
	HWD_TYPE_CLOSURE = 6,
	HWD_TYPE_INTERFACE = 7,
	HWD_TYPE_STRING = 8,       /* string bytes */
	HWD_TYPE_SCALAR = 9,       /* pointer-free data of a known scalar type */
	HWD_TYPE_RUNTIME = 10,     /* the producing runtime's own structures */
	HWD_TYPE_SIZECLASS = 11,   /* untyped: named by size class and pointer shape */
	HWD_TYPE_KIND__COUNT
} hwd_type_kind;

/* Edge kinds (the high 4 bits of hwd_edge.info). */
typedef enum hwd_edge_kind {
	HWD_EDGE_STRONG = 0,
	HWD_EDGE_WEAK = 1,          /* does not keep its target alive */
	HWD_EDGE_FINALIZER = 2,     /* a finalizer or cleanup keeps the target alive */
	HWD_EDGE_CONSERVATIVE = 3,  /* a word that looks like a pointer, from a conservative scan */
	HWD_EDGE_INTERNAL = 4,      /* runtime bookkeeping (e.g. map internals), strong */
	HWD_EDGE_KIND__COUNT
} hwd_edge_kind;

/* Root kinds. */
typedef enum hwd_root_kind {
	HWD_ROOT_GLOBAL = 1,        /* a package-level variable in data/bss; name = its name */
	HWD_ROOT_STACK = 2,         /* a goroutine stack slot; goroutine + frame say where */
	HWD_ROOT_REGISTER = 3,      /* a thread register (conservative) */
	HWD_ROOT_FINALIZER = 4,     /* a finalizer or cleanup (function or its argument) */
	HWD_ROOT_OTHER = 5,         /* anything else the runtime keeps alive */
	HWD_ROOT_KIND__COUNT
} hwd_root_kind;

/* Object flags. */
enum {
	HWD_OBJ_HAS_HEADER = 1u << 0,      /* a Go malloc header precedes the object */
	HWD_OBJ_CONSERVATIVE = 1u << 1,    /* found only by a conservative scan */
	HWD_OBJ_TINY_BLOCK = 1u << 2,      /* a tiny-allocator block holding several objects */
	HWD_OBJ_INCOMPLETE = 1u << 3,      /* caught mid-allocation; pointer data unknown */
};

/* Root flags. */
enum {
	HWD_ROOT_CONSERVATIVE = 1u << 0,
};

/* Edge offset field: low 28 bits of info, in bytes from the source object's address.
 * HWD_EDGE_OFFSET_UNKNOWN means "not known or too far to encode". */
#define HWD_EDGE_OFFSET_MASK 0x0FFFFFFFu
#define HWD_EDGE_OFFSET_UNKNOWN 0x0FFFFFFFu
#define HWD_EDGE_KIND_SHIFT 28

typedef struct hwd_type {
	uint64_t size;     /* bytes of one value of the type (0 unknown) */
	uint32_t name;     /* string id of the type's name as the runtime prints it */
	uint16_t kind;     /* hwd_type_kind */
	uint16_t flags;    /* reserved, 0 */
} hwd_type;

typedef struct hwd_object {
	uint64_t addr;     /* address of the first byte (after a malloc header) */
	uint64_t size;     /* bytes, as allocated (the slot's usable size) */
	uint32_t type;     /* type id, 0 unknown */
	uint32_t flags;    /* HWD_OBJ_* */
} hwd_object;

typedef struct hwd_edge {
	uint32_t from;     /* object index; edges are written in non-decreasing `from` order */
	uint32_t to;       /* object index */
	uint32_t label;    /* string id: field name, "map key", "[3]", ...; 0 none */
	uint32_t info;     /* kind << 28 | byte offset in the source (HWD_EDGE_OFFSET_MASK) */
} hwd_edge;

static inline hwd_edge_kind hwd_edge_kind_of(const hwd_edge *e) { return (hwd_edge_kind)(e->info >> HWD_EDGE_KIND_SHIFT); }
static inline uint32_t hwd_edge_offset_of(const hwd_edge *e) { return e->info & HWD_EDGE_OFFSET_MASK; }
static inline uint32_t hwd_edge_info(hwd_edge_kind k, uint64_t off)
{
	return ((uint32_t)k << HWD_EDGE_KIND_SHIFT) |
	       (off >= HWD_EDGE_OFFSET_UNKNOWN ? HWD_EDGE_OFFSET_UNKNOWN : (uint32_t)off);
}

typedef struct hwd_root {
	uint16_t kind;       /* hwd_root_kind */
	uint16_t flags;      /* HWD_ROOT_* */
	uint32_t name;       /* string id: variable name, "finalizer for T", register name, ... */
	uint32_t object;     /* object index of the target */
	uint32_t goroutine;  /* goroutine index (not id), or HWD_NONE */
	uint32_t frame;      /* frame index (global FRAMES numbering), or HWD_NONE */
	uint32_t reserved;   /* 0 */
	uint64_t addr;       /* where the reference lives (global's or stack slot's address), 0 unknown */
} hwd_root;

typedef struct hwd_goroutine {
	uint64_t id;          /* the runtime's goroutine id */
	int64_t wait_ns;      /* how long it has waited, -1 unknown */
	uint64_t stack_bytes; /* stack size (hi - lo) */
	uint32_t state;       /* string id: "running", "waiting", ... */
	uint32_t wait_reason; /* string id: "chan receive", ...; 0 none */
	uint32_t start_func;  /* string id */
	uint32_t creator_func;/* string id of the function holding the `go` statement */
	uint32_t creator_file;/* string id */
	uint32_t creator_line;
	uint32_t first_frame; /* index of its innermost frame in FRAMES, or HWD_NONE */
	uint32_t nframes;     /* frames first_frame .. first_frame+nframes-1, innermost first */
	uint32_t flags;       /* reserved, 0 */
	uint32_t reserved;    /* 0 */
} hwd_goroutine;

typedef struct hwd_frame {
	uint64_t pc;
	uint64_t sp;
	uint32_t func;       /* string id */
	uint32_t file;       /* string id */
	uint32_t line;
	uint32_t goroutine;  /* goroutine index that owns the frame */
} hwd_frame;

typedef struct hwd_thread {
	uint64_t goroutine_id;  /* goroutine running on it, 0 none */
	uint64_t pc;
	uint64_t sp;
	uint32_t tid;
	uint32_t name;          /* string id, e.g. "m3", 0 none */
} hwd_thread;

/* Allocation sites (1.2): what the target's heap profiler recorded. A stack is one profiling
 * bucket: a range of frames, innermost first, and the bytes the profiler counts per
 * allocation; a sample says that an object holds one sampled allocation of that stack.
 * Meta "memprof.rate" (u64) is the sampling rate: on average one sample per that many
 * allocated bytes, 1 = every allocation. */
/* Most frames one stack may span (the Go runtime records at most 1024 pcs). */
#define HWD_ALLOC_MAX_FRAMES 65536u

typedef struct hwd_alloc_frame {
	uint64_t pc;         /* return address as recorded, 0 unknown */
	uint32_t func;       /* string id, 0 unknown */
	uint32_t file;       /* string id, 0 unknown */
	uint32_t line;       /* 0 unknown */
} hwd_alloc_frame;

typedef struct hwd_alloc_stack {
	uint64_t size;        /* bytes per allocation, as the profiler counts them */
	uint32_t first_frame; /* alloc frame index of the innermost frame */
	uint32_t nframes;     /* <= HWD_ALLOC_MAX_FRAMES */
} hwd_alloc_stack;

typedef struct hwd_alloc_sample {
	uint32_t object;      /* object index */
	uint32_t stack;       /* alloc stack index */
} hwd_alloc_sample;

/* Metadata values are typed; keys are short ASCII ("pid", "exe", "go.version",
 * "capture.time_ns", "pause_ns", "mem.rss", "mem.heap_inuse", ...: docs/format.md lists them). */
typedef enum hwd_meta_type {
	HWD_META_U64 = 1,
	HWD_META_I64 = 2,
	HWD_META_F64 = 3,
	HWD_META_STR = 4,
} hwd_meta_type;

/* ---- writer ---------------------------------------------------------------------- */

/* The streaming writer. Records are buffered into chunks of bounded size and written
 * as each chunk fills, so a dumper never holds the graph twice. Objects must be added in
 * strictly increasing address order and may not overlap; edges in non-decreasing `from`
 * order, after every object they name has been added (add all objects first). Roots,
 * goroutines, frames, threads and contents may come in any order after the objects.
 *
 * The file is created with mode 0600 under a temporary name in the destination's directory
 * and renamed onto `path` only by hwd_writer_finish(); hwd_writer_abort() (or any failure
 * in finish) unlinks it, so a path never names a half-written snapshot.
 * With path "-" the snapshot goes to standard output (no rename; for pipes). */
typedef struct hwd_writer hwd_writer;

typedef struct hwd_writer_options {
	const char *producer;      /* e.g. "heapwalk 0.1 (go dumper)"; stored in the header meta */
	uint32_t pointer_size;     /* 8 */
	uint32_t chunk_bytes;      /* target payload size of a chunk, 0 = default (4 MiB) */
	int with_contents;         /* 1 if object contents will be added (flag in the header) */
	/* zstd level for chunk payloads (ZSTD_minCLevel()..ZSTD_maxCLevel(), e.g.
	 * HWD_COMPRESS_DEFAULT); 0 = store uncompressed, which keeps the file at version 1.0.
	 * A chunk that does not shrink, and the END chunk, are stored uncompressed anyway.
	 * Costs one compression buffer of about chunk_bytes and a zstd context. */
	int compress_level;
} hwd_writer_options;

#define HWD_COMPRESS_DEFAULT 3     /* zstd's own default: ~5x on object/edge records, fast */

/* Creates the temporary file and writes the header. On success *out is a new writer that
 * the caller must end with hwd_writer_finish() or hwd_writer_abort(). */
HWD_API int hwd_writer_open(const char *path, const hwd_writer_options *opt, hwd_writer **out, hwd_error *err);

/* Interns a string and returns its id (>= 1); the same bytes always give the same id.
 * Returns 0 on failure: out of memory (sticky: finish then fails), or a string over the
 * chunk limit (HWD_E_LIMIT, refused; hwd_writer_last_error() says which). */
HWD_API uint32_t hwd_writer_string(hwd_writer *w, const char *s, size_t len);
static inline uint32_t hwd_writer_cstring(hwd_writer *w, const char *s);

/* Interns a type by (name, size, kind); returns its id (>= 1) or 0 on failure. */
HWD_API uint32_t hwd_writer_type(hwd_writer *w, const char *name, uint64_t size, hwd_type_kind kind);

HWD_API int hwd_writer_meta_u64(hwd_writer *w, const char *key, uint64_t v);
HWD_API int hwd_writer_meta_i64(hwd_writer *w, const char *key, int64_t v);
HWD_API int hwd_writer_meta_f64(hwd_writer *w, const char *key, double v);
HWD_API int hwd_writer_meta_str(hwd_writer *w, const char *key, const char *v);

/* Appends an object; its index is the number of objects added before it.
 * Fails with HWD_E_USAGE when out of address order or overlapping, HWD_E_LIMIT past
 * HWD_MAX_OBJECTS. */
HWD_API int hwd_writer_object(hwd_writer *w, const hwd_object *o);
HWD_API int hwd_writer_edge(hwd_writer *w, const hwd_edge *e);
HWD_API int hwd_writer_root(hwd_writer *w, const hwd_root *r);
/* Goroutines and frames are indexed in the order they are added. */
HWD_API int hwd_writer_goroutine(hwd_writer *w, const hwd_goroutine *g);
HWD_API int hwd_writer_frame(hwd_writer *w, const hwd_frame *f);
HWD_API int hwd_writer_thread(hwd_writer *w, const hwd_thread *t);
/* Allocation sites. Frames, stacks and samples are indexed in the order they are added;
 * every index must name a record added before (HWD_E_USAGE otherwise): a stack's frames, a
 * sample's object and stack. Samples come in non-decreasing object order. */
HWD_API int hwd_writer_alloc_frame(hwd_writer *w, const hwd_alloc_frame *f);
HWD_API int hwd_writer_alloc_stack(hwd_writer *w, const hwd_alloc_stack *s);
HWD_API int hwd_writer_alloc_sample(hwd_writer *w, const hwd_alloc_sample *s);
/* A qsort()/g_array_sort() comparator of two hwd_alloc_sample: by object, then by stack, so
 * that sorted samples can be added in the order hwd_writer_alloc_sample() requires. */
HWD_API int hwd_alloc_sample_cmp(const void *a, const void *b);
/* Object contents (only when opened with with_contents). */
HWD_API int hwd_writer_contents(hwd_writer *w, uint32_t object, const void *data, uint64_t len);

/* Flushes, writes the END chunk, fsyncs, renames onto the final path and frees the writer
 * (also on failure, after unlinking the temporary file). */
HWD_API int hwd_writer_finish(hwd_writer *w, hwd_error *err);
/* Unlinks the temporary file and frees the writer. NULL is a no-op. */
HWD_API void hwd_writer_abort(hwd_writer *w);

/* The error of the most recent failed call on `w` (code 0 if none failed yet): the add
 * functions return only a code, this says why. Valid until the next call on `w`.
 * Usage errors (HWD_E_USAGE, HWD_E_LIMIT) refuse that one call and leave the writer usable;
 * I/O and memory failures are sticky and make hwd_writer_finish() fail. */
HWD_API const hwd_error *hwd_writer_last_error(const hwd_writer *w);

static inline uint32_t hwd_writer_cstring(hwd_writer *w, const char *s)
{
	size_t n = 0;
	while (s[n]) n++;
	return hwd_writer_string(w, s, n);
}

/* ---- reader ---------------------------------------------------------------------- */

/* A file with compressed chunks (format 1.1) is first inflated, whole, into an unlinked
 * temporary file in $TMPDIR (or /tmp), which is then mapped and read as below: records are
 * still served in place from file-backed pages, and the temporary space (about the
 * uncompressed size) is released at close. Offsets in errors and in hwd_damage are always
 * offsets in the file as stored; a problem inside a compressed payload is reported at its
 * chunk's offset, and the message also gives the position in the inflated payload. While
 * inflating, the open runs one helper thread that decompresses chunks ahead (joined before
 * the open returns; link with -pthread, which the pkg-config file says).
 *
 * The reader maps the file (at a 2 MiB-aligned address, asking for huge pages: the writer
 * writes in aligned 2 MiB blocks so that the page cache can give them) and validates every
 * chunk once at open (framing, CRC32C, counts,
 * every index and id in range, objects sorted and disjoint, edges grouped by source).
 * After a successful open every accessor below is bounds-safe and O(1) or O(log chunks).
 *
 * A file cut short (no END chunk, or a chunk that runs past the end) opens successfully
 * in partial mode: everything in whole chunks is available, edges or roots naming objects
 * that were lost are dropped, and hwd_reader_damage() says what was lost (with
 * HWD_OPEN_STRICT the open fails with HWD_E_TRUNCATED instead). A corrupt file
 * (bad CRC, impossible field) fails with HWD_E_CORRUPT unless HWD_OPEN_SALVAGE is given,
 * in which case reading stops at the first bad chunk as if the file ended there. */
typedef struct hwd_reader hwd_reader;

enum {
	HWD_OPEN_SALVAGE = 1u << 0,   /* treat the first corrupt chunk like the end of the file */
	HWD_OPEN_STRICT = 1u << 1,    /* refuse truncated files instead of reading them partially */
};

HWD_API int hwd_reader_open(const char *path, unsigned flags, hwd_reader **out, hwd_error *err);
/* Reads from caller-owned memory, which must outlive the reader (used by fuzzers/tests). */
HWD_API int hwd_reader_open_memory(const void *data, size_t len, unsigned flags, hwd_reader **out, hwd_error *err);
HWD_API void hwd_reader_close(hwd_reader *r);

typedef struct hwd_damage {
	int partial;              /* 1 if anything was lost */
	int cause;                /* HWD_E_TRUNCATED or HWD_E_CORRUPT */
	uint64_t offset;          /* where reading stopped */
	uint64_t bytes_lost;      /* bytes of the file past that point */
	uint64_t chunks_read;     /* whole chunks read (END included when seen) */
	uint64_t edges_dropped;   /* edges/roots that named objects beyond what was read */
	uint64_t roots_dropped;   /* (root/goroutine/frame indices naming lost goroutines or
	                           * frames are kept but read as HWD_NONE; frame ranges are cut) */
	int end_seen;             /* 1 if the END chunk was read */
	char message[256];        /* e.g. "file ends at 0x1234 inside an EDGES chunk: ..." */
} hwd_damage;
HWD_API const hwd_damage *hwd_reader_damage(const hwd_reader *r);
/* Chunks of kinds this reader does not know (written by a later minor version), skipped. */
HWD_API uint64_t hwd_reader_skipped_chunks(const hwd_reader *r);

HWD_API uint32_t hwd_reader_version_major(const hwd_reader *r);
HWD_API uint32_t hwd_reader_version_minor(const hwd_reader *r);
HWD_API uint32_t hwd_reader_pointer_size(const hwd_reader *r);
HWD_API int hwd_reader_has_contents(const hwd_reader *r);

HWD_API uint64_t hwd_reader_object_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_edge_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_root_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_type_count(const hwd_reader *r);      /* ids 1..count */
HWD_API uint64_t hwd_reader_string_count(const hwd_reader *r);    /* ids 1..count */
HWD_API uint64_t hwd_reader_goroutine_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_frame_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_thread_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_alloc_frame_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_alloc_stack_count(const hwd_reader *r);
HWD_API uint64_t hwd_reader_alloc_sample_count(const hwd_reader *r);

/* Record access by index; out-of-range indices return a zeroed record (and 0 / NULL). */
HWD_API hwd_object hwd_reader_object(const hwd_reader *r, uint32_t index);
HWD_API hwd_edge hwd_reader_edge(const hwd_reader *r, uint64_t index);
HWD_API hwd_root hwd_reader_root(const hwd_reader *r, uint64_t index);
HWD_API hwd_type hwd_reader_type(const hwd_reader *r, uint32_t id);
HWD_API hwd_goroutine hwd_reader_goroutine(const hwd_reader *r, uint32_t index);
HWD_API hwd_frame hwd_reader_frame(const hwd_reader *r, uint32_t index);
HWD_API hwd_thread hwd_reader_thread(const hwd_reader *r, uint32_t index);
HWD_API hwd_alloc_frame hwd_reader_alloc_frame(const hwd_reader *r, uint32_t index);
HWD_API hwd_alloc_stack hwd_reader_alloc_stack(const hwd_reader *r, uint32_t index);
HWD_API hwd_alloc_sample hwd_reader_alloc_sample(const hwd_reader *r, uint64_t index);
/* The samples of one object: returns how many there are (0 if none) and sets *first to the
 * index of the first (samples are sorted by object). O(log samples). */
HWD_API uint64_t hwd_reader_alloc_samples_of(const hwd_reader *r, uint32_t object, uint64_t *first);
/* The bytes of string `id` (not NUL-terminated) and their length; id 0 gives "" with len 0.
 * The pointer points into the mapping and is valid until hwd_reader_close(). */
HWD_API const char *hwd_reader_string(const hwd_reader *r, uint32_t id, uint32_t *len);

/* Finds the object containing `addr` (interior addresses included) by binary search.
 * Returns its index or HWD_NONE. */
HWD_API uint32_t hwd_reader_find_object(const hwd_reader *r, uint64_t addr);

/* Contents of an object (NULL and *len 0 when absent). Points into the mapping. */
HWD_API const void *hwd_reader_contents(const hwd_reader *r, uint32_t object, uint64_t *len);

/* Metadata, by key (the last value written for that key wins). Return 1 if found with that
 * type, 0 otherwise. The string points into the mapping. */
HWD_API int hwd_reader_meta_u64(const hwd_reader *r, const char *key, uint64_t *v);
HWD_API int hwd_reader_meta_i64(const hwd_reader *r, const char *key, int64_t *v);
HWD_API int hwd_reader_meta_f64(const hwd_reader *r, const char *key, double *v);
HWD_API int hwd_reader_meta_str(const hwd_reader *r, const char *key, const char **v, uint32_t *len);
/* Iterates over all metadata entries, in file order: i from 0 while it returns 1. */
typedef struct hwd_meta_entry {
	const char *key; uint32_t key_len;
	hwd_meta_type type;
	union { uint64_t u64; int64_t i64; double f64; struct { const char *ptr; uint32_t len; } str; } v;
} hwd_meta_entry;
HWD_API int hwd_reader_meta_entry(const hwd_reader *r, uint64_t i, hwd_meta_entry *out);

/* Bulk access for hot loops: the objects (edges) are stored in runs of contiguous
 * records, one run per chunk. Run k covers indices [first, first+count). The record
 * pointers point into the mapping (little-endian, 8-aligned), valid until close.
 * Returns 1 while k is a valid run, 0 after the last. On big-endian hosts use the
 * per-index accessors instead (hwd_reader_bulk_ok() says which). */
typedef struct hwd_run {
	uint64_t first;
	uint64_t count;
	const void *records;   /* const hwd_object_disk* / hwd_edge_disk*: see hwd-format.h */
} hwd_run;
HWD_API int hwd_reader_bulk_ok(const hwd_reader *r);
HWD_API int hwd_reader_object_run(const hwd_reader *r, uint64_t k, hwd_run *out);
HWD_API int hwd_reader_edge_run(const hwd_reader *r, uint64_t k, hwd_run *out);

/* ---- checking mode ---------------------------------------------------------------- */

/* Walks the file chunk by chunk as the reader does, without stopping at the first problem's
 * consequences, and reports each chunk through `cb` (which may be NULL). Returns 0 if the
 * file is whole and valid, else the code of the first problem (described in err). */
typedef struct hwd_check_chunk {
	uint64_t offset;        /* of the chunk header */
	uint32_t kind;          /* on-disk chunk kind, without the compressed bit */
	const char *kind_name;  /* "OBJECTS", ... or "unknown" */
	uint64_t payload_len;   /* payload bytes once inflated (= stored_len when not compressed;
	                         * the declared raw_len when the chunk could not be inflated) */
	uint64_t records;       /* records in it (0 for kinds without records) */
	int ok;                 /* 0 if this chunk has the first problem */
	int compressed;         /* 1 if stored compressed */
	uint64_t stored_len;    /* payload bytes as stored in the file */
} hwd_check_chunk;
typedef void (*hwd_check_cb)(const hwd_check_chunk *c, void *user);
HWD_API int hwd_check_file(const char *path, hwd_check_cb cb, void *user, hwd_error *err);
HWD_API int hwd_check_memory(const void *data, size_t len, hwd_check_cb cb, void *user, hwd_error *err);

/* CRC32C (Castagnoli) of a buffer, continuing from `crc` (start with 0). */
HWD_API uint32_t hwd_crc32c(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* HWD_H */
