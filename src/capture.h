/* capture.h - taking a snapshot of a Go program: stop, copy, detach, walk, write.
 *
 * hw_capture_run() is the whole dumper behind `heapwalk dump`. For a live process it reads the
 * executable's DWARF first (slow, the target keeps running), then stops every thread, reads
 * the runtime's span, goroutine and thread state, copies what the walk reads (the in-use spans
 * with pointers or small objects, goroutine stacks, data, bss, moduledata) into a local image,
 * and lets the target run again; the object graph is then built from the copy. If the stop caught the
 * runtime in the middle of an update (an M in mallocgc or holding a runtime lock, a
 * goroutine stack being copied, a span being swept) it lets the target run for a moment and
 * tries again, up to max_retries times, then proceeds and records the warning. Each part of
 * the pause is timed (hw_pause_parts, the snapshot's pause.* meta), so that a long pause says
 * whether heapwalk's work or the machine's load made it long. For a core the same walk runs
 * over the core's memory, with no pause, and likewise for a saved image of a stopped
 * target's memory (what the fuzz tests feed it, corrupted).
 */
#ifndef HW_CAPTURE_H
#define HW_CAPTURE_H

#include <sys/types.h>
#include <glib.h>

#include "target/memsrc.h"
#include "target/process.h"
#include "target/thread.h"

typedef struct hw_capture_options {
	pid_t pid;                /* live target, or 0 */
	const char *core;         /* core file, or NULL (exactly one of pid, core and image) */
	const char *exe;          /* executable (cores: NULL means from the core's NT_FILE;
	                           * images: required) */
	const char *debug_file;   /* DWARF from this file (the same build, e.g. before strip), or
	                           * NULL: the executable's own, else the layout table
	                           * (goruntime/layout.h: gr_debuginfo_load) */
	hw_memsrc *image;         /* or a saved image of a stopped target's memory (borrowed; the
	                           * fuzz tests' saved images), walked like a core over exe */
	const hw_thread *threads; /* with image: its threads' registers (borrowed) */
	size_t n_threads;
	guint64 image_bias;       /* with image: the executable's load bias */
	const char *output;       /* snapshot path, "-" for stdout */
	unsigned max_retries;     /* re-stops allowed when the runtime is caught mid-update */
	int compress_level;       /* hwd_writer_options.compress_level: 0 stores chunks as they are */
} hw_capture_options;

/* Where the pause of a live target went (its last attempt), in nanoseconds, in the order the
 * parts happen; they add up to the pause but for a few clock reads. Written to the snapshot as
 * the pause.* meta keys (docs/format.md). */
typedef struct hw_pause_parts {
	hw_pause_stats proc;      /* stopping and detaching every thread, and heapwalk's thread's
	                           * scheduling during the pause (target/process.h) */
	guint64 metadata_ns;      /* maps, layout, spans, goroutines, specials, queues, ranges */
	guint64 memacct_ns;       /* the runtime's memory accounting counters */
	guint64 allocsites_ns;    /* heap profile buckets */
	guint64 heap_ns;          /* copying the heap's spans (pointers or small objects) */
	guint64 heap_bytes;       /* its size */
	guint64 heap_reads;       /* the read system calls it took */
	guint64 rest_ns;          /* copying stacks, data, bss and moduledata; thread records */
} hw_pause_parts;

typedef struct hw_capture_result {
	guint64 pause_ns;         /* how long the target was stopped (last attempt), 0 for cores */
	hw_pause_parts parts;     /* live targets: where pause_ns went */
	unsigned retries;         /* re-stops done */
	guint64 objects;          /* heap objects written */
	guint64 object_bytes;     /* their slot bytes (MemStats.HeapAlloc's definition) */
	guint64 edges, roots, goroutines;
	char *warning;            /* why the snapshot may be inconsistent, or NULL; g_free */
	const char *no_dwarf;     /* the executable had no DWARF and the layouts came from the
	                           * table of this Go release ("go1.26"), or NULL; static */
} hw_capture_result;

gboolean hw_capture_run(const hw_capture_options *opt, hw_capture_result *res, GError **error);

#endif /* HW_CAPTURE_H */
