/* gcprog.c - the GC program interpreter (see gcprog.h).
 *
 * Instructions (runtime runGCProg; one byte op, then operands):
 *   0x00                 stop
 *   0nnnnnnn             emit the n (1..127) bits of the next ceil(n/8) bytes, LSB first
 *   1nnnnnnn c           repeat the last n bits c more times (c a uvarint)
 *   10000000 n c         the same with n a uvarint
 * Repeats are what make programs short: "[20000]*T" is one literal bit and one repeat. The
 * output is bounded by max_bits, so the work is bounded by max_bits plus the program length.
 */
#include "goruntime/gcprog.h"

static inline bool bit_get(const guint8 *b, uint64_t i) { return (b[i / 8] >> (i % 8)) & 1; }
static inline void bit_set(guint8 *b, uint64_t i) { b[i / 8] |= (guint8)(1u << (i % 8)); }

/* Reads a uvarint at prog[*pos]; FALSE if it runs past len or does not fit 64 bits. */
static bool uvarint(const uint8_t *prog, size_t len, size_t *pos, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return false;
		uint8_t x = prog[(*pos)++];
		*v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			return true;
	}
	return false;
}

gboolean gr_gcprog_run(const uint8_t *prog, size_t len, guint8 *dst, uint64_t at, uint64_t max_bits,
                       uint64_t *emitted, GError **error)
{
	uint64_t n = 0;   /* bits emitted so far */
	size_t pos = 0;
	for (;;) {
		size_t op_at = pos;
		if (pos >= len) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "GC program: no stop instruction in its "
			            "%zu bytes", len);
			return FALSE;
		}
		uint8_t op = prog[pos++];
		if (op == 0)
			break;
		if (!(op & 0x80)) {
			uint64_t nb = op;
			if (pos + (nb + 7) / 8 > len || n + nb > max_bits)
				goto overrun;
			for (uint64_t i = 0; i < nb; i++)
				if (bit_get(prog + pos, i))
					bit_set(dst, at + n + i);
			pos += (nb + 7) / 8;
			n += nb;
			continue;
		}
		uint64_t span = op & 0x7f, count;
		if ((span == 0 && !uvarint(prog, len, &pos, &span)) || !uvarint(prog, len, &pos, &count))
			goto overrun;
		if (span == 0 || span > n) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "GC program: the repeat at byte %zu "
			            "repeats %" G_GUINT64_FORMAT " bits, %" G_GUINT64_FORMAT " are emitted",
			            op_at, span, n);
			return FALSE;
		}
		if (count > (max_bits - n) / span)
			goto overrun;
		/* Bit-serial copy from span bits back: the pattern repeats even when it is shorter
		 * than a byte, and the work is bounded by max_bits. */
		uint64_t total = span * count;
		for (uint64_t i = 0; i < total; i++)
			if (bit_get(dst, at + n + i - span))
				bit_set(dst, at + n + i);
		n += total;
		continue;
overrun:
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "GC program: the instruction at byte %zu "
		            "runs past the program (%zu bytes) or past the %" G_GUINT64_FORMAT
		            " bits it may emit", op_at, len, max_bits);
		return FALSE;
	}
	if (emitted)
		*emitted = n;
	return TRUE;
}

gboolean gr_gcprog_run_at(const gr_mem *mem, uint64_t addr, guint8 *dst, uint64_t at,
                          uint64_t max_bits, uint64_t *emitted, GError **error)
{
	uint8_t lenb[4];
	if (!gr_mem_read(mem, addr, lenb, 4, "GC program length", error))
		return FALSE;
	uint32_t len = gr_le32(lenb);
	if (len == 0 || len > GR_GCPROG_MAX_BYTES) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "GC program at 0x%" G_GINT64_MODIFIER "x "
		            "claims %u bytes", (guint64)addr, len);
		return FALSE;
	}
	guint8 *prog = g_malloc(len);
	gboolean ok = gr_mem_read(mem, addr + 4, prog, len, "GC program", error) &&
	              gr_gcprog_run(prog, len, dst, at, max_bits, emitted, error);
	g_free(prog);
	return ok;
}
