/* inflate-ahead.c - decompressing compressed chunks ahead of the inflating walk (see
 * inflate-ahead.h). One helper thread, a ring of AHEAD_SLOTS buffers, one mutex. */
#include "inflate-ahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <zstd.h>

#include "hwd-internal.h"
#include "reader-internal.h"

enum { AHEAD_SLOTS = 3 };
#define AHEAD_MAX_RAW ((uint64_t)16 << 20)

struct slot {
	uint64_t off;      /* stored offset of the chunk */
	uint8_t *buf;      /* its inflated payload (capacity cap) */
	size_t len, cap;
};

struct hwd__ahead {
	const uint8_t *d;
	uint64_t len, first;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slot[AHEAD_SLOTS];
	uint64_t produced, consumed;   /* slots filled and handed back, counted from the start */
	int done, quit;
	ZSTD_DCtx *dctx;
};

/* Inflates the compressed chunk at off into s when it is plainly sound; 0 if not. */
static int inflate_into(hwd__ahead *a, uint64_t off, uint64_t plen, struct slot *s)
{
	const uint8_t *p = a->d + off + HWD_CHUNK_HEADER_SIZE;
	if (plen < sizeof(hwd_compress_header) || hwd_get_le32(p) != HWD_CODEC_ZSTD)
		return 0;
	uint64_t raw = hwd_get_le64(p + 8);
	const uint8_t *frame = p + sizeof(hwd_compress_header);
	size_t flen = (size_t)(plen - sizeof(hwd_compress_header));
	if (raw > AHEAD_MAX_RAW || ZSTD_getFrameContentSize(frame, flen) != raw ||
	    ZSTD_findFrameCompressedSize(frame, flen) != flen)
		return 0;
	if (raw > s->cap) {
		uint8_t *b = realloc(s->buf, raw ? (size_t)raw : 1);
		if (!b)
			return 0;
		s->buf = b;
		s->cap = (size_t)raw;
	}
	size_t got = ZSTD_decompressDCtx(a->dctx, s->buf, (size_t)raw, frame, flen);
	if (ZSTD_isError(got) || got != raw)
		return 0;
	s->off = off;
	s->len = (size_t)raw;
	return 1;
}

static void *run(void *arg)
{
	hwd__ahead *a = arg;
	uint64_t off = a->first;
	hwd_error ignored;
	while (off < a->len) {
		uint32_t word;
		uint64_t plen;
		if (hwd__chunk_frame(a->d, a->len, off, &word, &plen, &ignored))
			break;
		if (word & HWD_CHUNK_COMPRESSED) {
			pthread_mutex_lock(&a->mu);
			while (!a->quit && a->produced - a->consumed == AHEAD_SLOTS)
				pthread_cond_wait(&a->cv, &a->mu);
			int quit = a->quit;
			pthread_mutex_unlock(&a->mu);
			if (quit)
				break;
			/* The slot is the helper's until produced moves past it. */
			struct slot *s = &a->slot[a->produced % AHEAD_SLOTS];
			if (inflate_into(a, off, plen, s)) {
				pthread_mutex_lock(&a->mu);
				a->produced++;
				pthread_cond_broadcast(&a->cv);
				pthread_mutex_unlock(&a->mu);
			}
		}
		off += HWD_CHUNK_HEADER_SIZE + plen + hwd__pad8(plen);
	}
	pthread_mutex_lock(&a->mu);
	a->done = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

hwd__ahead *hwd__ahead_start(const uint8_t *stored, uint64_t len, uint64_t first)
{
	hwd__ahead *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->d = stored;
	a->len = len;
	a->first = first;
	if (!(a->dctx = ZSTD_createDCtx()) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(a->dctx, ZSTD_d_windowLogMax, HWD_ZSTD_WINDOW_LOG_MAX)) ||
	    pthread_mutex_init(&a->mu, NULL)) {
		ZSTD_freeDCtx(a->dctx);
		free(a);
		return NULL;
	}
	if (pthread_cond_init(&a->cv, NULL)) {
		pthread_mutex_destroy(&a->mu);
		ZSTD_freeDCtx(a->dctx);
		free(a);
		return NULL;
	}
	if (pthread_create(&a->thread, NULL, run, a)) {
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		ZSTD_freeDCtx(a->dctx);
		free(a);
		return NULL;
	}
	return a;
}

const uint8_t *hwd__ahead_take(hwd__ahead *a, uint64_t off, size_t *len)
{
	if (!a)
		return NULL;
	const uint8_t *out = NULL;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->produced > a->consumed) {
			struct slot *s = &a->slot[a->consumed % AHEAD_SLOTS];
			if (s->off < off) { /* a chunk the walk did not ask for, or the one before */
				a->consumed++;
				pthread_cond_broadcast(&a->cv);
				continue;
			}
			if (s->off == off) {
				out = s->buf;
				*len = s->len;
			}
			break;
		}
		if (a->done)
			break;
		pthread_cond_wait(&a->cv, &a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return out;
}

void hwd__ahead_stop(hwd__ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->quit = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	for (int k = 0; k < AHEAD_SLOTS; k++)
		free(a->slot[k].buf);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	ZSTD_freeDCtx(a->dctx);
	free(a);
}
