/* hugeio.c - aligned block output and huge-page mappings for snapshot files (see hugeio.h). */
#include "hugeio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int write_raw(hwd__blockout *o, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t k = write(o->fd, b, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		b += k;
		n -= (size_t)k;
		o->flushed += (uint64_t)k;
	}
	return 0;
}

int hwd__blockout_write(hwd__blockout *o, const void *p, size_t n)
{
	const uint8_t *b = p;
	if (n && !o->buf && !(o->buf = malloc(HWD__BLOCK)))
		return ENOMEM;
	while (n) {
		/* The buffer holds [flushed, off); flushed is never below the boundary before off. */
		size_t fill = (size_t)(o->off - o->flushed), room = HWD__BLOCK - (size_t)(o->off % HWD__BLOCK);
		int e;
		if (!fill && n >= room) {
			size_t k = room + (n - room) / HWD__BLOCK * HWD__BLOCK;
			o->off += k;
			if ((e = write_raw(o, b, k)))
				return e;
			b += k;
			n -= k;
			continue;
		}
		size_t k = n < room ? n : room;
		memcpy(o->buf + fill, b, k);
		o->off += k;
		b += k;
		n -= k;
		if (k == room && (e = write_raw(o, o->buf, fill + k)))
			return e;
	}
	return 0;
}

int hwd__blockout_flush(hwd__blockout *o)
{
	return o->off > o->flushed ? write_raw(o, o->buf, (size_t)(o->off - o->flushed)) : 0;
}

void hwd__blockout_free(hwd__blockout *o)
{
	free(o->buf);
	o->buf = NULL;
}

void *hwd__map_huge(int fd, size_t len, int flags)
{
	const size_t huge = HWD__BLOCK, page = (size_t)sysconf(_SC_PAGESIZE);
	if (len >= 2 * huge && len <= SIZE_MAX - 2 * huge) {
		/* Reserve room for an aligned start, map the file there, give back the rest. */
		size_t span = (len + page - 1) / page * page, reserve = span + huge;
		uint8_t *area = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (area != MAP_FAILED) {
			uint8_t *at = (uint8_t *)(((uintptr_t)area + huge - 1) & ~(uintptr_t)(huge - 1));
			void *m = mmap(at, len, PROT_READ, flags | MAP_FIXED, fd, 0);
			if (m == MAP_FAILED) {
				munmap(area, reserve);
			} else {
				if (at > area)
					munmap(area, (size_t)(at - area));
				if (area + reserve > at + span)
					munmap(at + span, (size_t)(area + reserve - (at + span)));
#ifdef MADV_HUGEPAGE
				madvise(m, len, MADV_HUGEPAGE);   /* only a hint */
#endif
				return m;
			}
		}
	}
	return mmap(NULL, len, PROT_READ, flags, fd, 0);
}
