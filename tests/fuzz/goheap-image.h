/* goheap-image.h - a saved memory image of a stopped Go process: what fuzz-goheap feeds the dumper.
 *
 * gen-goheap-seed stops a Go process, runs the dumper over it through a recording memory
 * source and saves what the dumper read (the ranges not in the executable's read-only
 * segments), the threads' registers, the executable's path and its load bias. fuzz-goheap
 * loads such a file, mutated, and runs the dumper over it (hw_capture_options.image).
 *
 * File layout, little-endian, no padding:
 *   "HWGOIMG1"                  8 bytes
 *   exe path                    u32 length, bytes (provenance only: the fuzz target uses the
 *                               executable it was built for, see fuzz-goheap.c)
 *   load bias                   u64
 *   threads                     u32 count, then per thread: i32 tid, struct user_regs_struct
 *   ranges                      u32 count, then per range: u64 addr, u64 len, len bytes
 */
#ifndef HW_TESTS_GOHEAP_IMAGE_H
#define HW_TESTS_GOHEAP_IMAGE_H

#include <glib.h>

#include "target/memsrc.h"
#include "target/thread.h"

typedef struct goheap_image {
	char *exe;              /* g_free */
	guint64 bias;
	GArray *threads;        /* hw_thread */
	hw_memsrc *mem;         /* a memimage holding the ranges; hw_memsrc_unref */
} goheap_image;

/* Parses a file's bytes; FALSE with an error naming the offset when they are malformed. */
gboolean goheap_image_parse(const guint8 *data, gsize size, goheap_image *out, GError **error);

/* Writes an image (its memimage's regions) to path. */
gboolean goheap_image_save(const char *path, const char *exe, guint64 bias, const hw_thread *threads,
                           gsize n_threads, hw_memsrc *image, GError **error);

void goheap_image_clear(goheap_image *im);

#endif
