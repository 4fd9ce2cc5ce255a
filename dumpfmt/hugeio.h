/* hugeio.h - snapshot files laid out for 2 MiB huge pages (internal).
 *
 * The analyses read a snapshot's records in place through a mapping, at random: on a graph
 * of ten million objects, nearly every read of an object's edge records would also miss the
 * TLB with 4 KiB pages. Linux maps a file with 2 MiB pages when the page cache holds it in
 * 2 MiB folios and the mapping is aligned like them. The page cache gets such folios when the
 * file is written in whole, aligned 2 MiB blocks (writes of 1 MiB or less give it none), or
 * read from disk into a mapping that asks for huge pages. So the writer writes through an
 * hwd__blockout and the reader maps with hwd__map_huge(). Measured on a 10M-object random
 * graph: the depth-first search over a file written in 1 MiB writes took 5.2 s, over one
 * mapped with 2 MiB pages 4.6 s (docs/performance.md). The inflater's temporary image does
 * not use either (inflate.c says why).
 */
#ifndef HWD_HUGEIO_H
#define HWD_HUGEIO_H

#include <stddef.h>
#include <stdint.h>

#define HWD__BLOCK ((size_t)2 << 20)

/* Buffered output to fd that only ever calls write(2) with bytes ending on a HWD__BLOCK
 * boundary of the file, except for explicit flushes. Bytes [flushed, off) wait in buf. */
typedef struct hwd__blockout {
	int fd;
	uint64_t off;       /* file offset of the next byte accepted (buffered ones included) */
	uint64_t flushed;   /* bytes handed to write(2); after a failure, where the failed write began */
	uint8_t *buf;       /* HWD__BLOCK bytes, allocated on first use; free with hwd__blockout_free() */
} hwd__blockout;

/* Each returns 0, or an errno value (ENOMEM: the block buffer could not be allocated). Parts
 * that start on an empty buffer and reach past a boundary go straight from p. */
int hwd__blockout_write(hwd__blockout *o, const void *p, size_t n);
/* Writes whatever is buffered (the end of the file, or a header that must fail early). */
int hwd__blockout_flush(hwd__blockout *o);
void hwd__blockout_free(hwd__blockout *o);

/* mmap(NULL, len, PROT_READ, flags, fd, 0), at a 2 MiB-aligned address with MADV_HUGEPAGE
 * for files of 4 MiB or more; MAP_FAILED with errno as mmap(2). Unmap with munmap(p, len). */
void *hwd__map_huge(int fd, size_t len, int flags);

#endif /* HWD_HUGEIO_H */
