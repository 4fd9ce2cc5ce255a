/* capture.h - taking a snapshot of a Go program: stop, copy, detach, walk, write.
 *
 * hw_capture_run() is the whole dumper behind `heapwalk dump`. For a live process it reads the
 * executable's DWARF first (slow, the target keeps running), then stops every thread, reads
 * the runtime's span, goroutine and thread state, copies the pointer-bearing memory (in-use
 * scan spans, goroutine stacks, data, bss, moduledata) into a local image, and lets the
 * target run again; the object graph is then built from the copy. If the stop caught the
 * runtime in the middle of an update (an M in mallocgc or holding a runtime lock, a
 * goroutine stack being copied, a span being swept) it lets the target run for a moment and
 * tries again, up to max_retries times, then proceeds and records the warning. For a core
 * the same walk runs over the core's memory, with no pause, and likewise for a saved image
 * of a stopped target's memory (what the fuzz tests feed it, corrupted).
 */
#ifndef HW_CAPTURE_H
#define HW_CAPTURE_H

#include <sys/types.h>
#include <glib.h>

#include "target/memsrc.h"
#include "target/thread.h"

typedef struct hw_capture_options {
	pid_t pid;                /* live target, or 0 */
	const char *core;         /* core file, or NULL (exactly one of pid, core and image) */
	const char *exe;          /* executable (cores: NULL means from the core's NT_FILE;
	                           * images: required) */
	hw_memsrc *image;         /* or a saved image of a stopped target's memory (borrowed; the
	                           * fuzz tests' saved images), walked like a core over exe */
	const hw_thread *threads; /* with image: its threads' registers (borrowed) */
	size_t n_threads;
	guint64 image_bias;       /* with image: the executable's load bias */
	const char *output;       /* snapshot path, "-" for stdout */
	unsigned max_retries;     /* re-stops allowed when the runtime is caught mid-update */
	int compress_level;       /* hwd_writer_options.compress_level: 0 stores chunks as they are */
} hw_capture_options;

typedef struct hw_capture_result {
	guint64 pause_ns;         /* how long the target was stopped (last attempt), 0 for cores */
	unsigned retries;         /* re-stops done */
	guint64 objects;          /* heap objects written */
	guint64 object_bytes;     /* their slot bytes (MemStats.HeapAlloc's definition) */
	guint64 edges, roots, goroutines;
	char *warning;            /* why the snapshot may be inconsistent, or NULL; g_free */
} hw_capture_result;

gboolean hw_capture_run(const hw_capture_options *opt, hw_capture_result *res, GError **error);

#endif /* HW_CAPTURE_H */
