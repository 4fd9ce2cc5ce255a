/* goheapdump-objects.c - from a heap dump's Object records to its objects (see goheapdump-objects.h).
 *
 * The records are sorted through an index array (the dump lists spans in allspans order), then
 * consumed one span at a time: a record over 512 bytes is its own span's only interesting
 * slot (such spans reserve nothing, so every slot is real); records of at most 512 bytes are
 * grouped by page, which is their 1-page span.
 */
#include "import/goheapdump-objects.h"

#include <stdlib.h>
#include <string.h>

#include "goruntime/heapbits.h"
#include "hwd.h"

/* Runtime constants of Go 1.22+ (malloc.go, mbitmap.go): they define the dump's geometry. */
#define MIN_SIZE_FOR_MALLOC_HEADER 512u
#define MAX_SMALL_SIZE 32768u
#define MALLOC_HEADER_SIZE 8u

static int cmp_addr(const void *a, const void *b, void *user)
{
	const hw_ghd_memory *v = (const hw_ghd_memory *)((const GArray *)user)->data;
	guint64 x = v[*(const guint32 *)a].addr, y = v[*(const guint32 *)b].addr;
	return x < y ? -1 : x > y;
}

static gboolean corrupt(GError **error, const hw_ghd_memory *r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean corrupt(GError **error, const hw_ghd_memory *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_CORRUPT, "Object record at offset %" G_GUINT64_FORMAT
	            " (address 0x%" G_GINT64_MODIFIER "x): %s", r->rec_off, r->addr, what);
	return FALSE;
}

static void add(GArray *out, const hw_ghd_memory *r, guint32 rec, guint32 header)
{
	hw_ghd_object o = { r->addr + header, r->len - header, rec, header };
	g_array_append_val(out, o);
}

/* A record over 512 bytes: a header object when it is small and its pointers start after the
 * header word. */
static void big_record(const hw_goheapdump *d, const hw_ghd_memory *r, guint32 rec, GArray *out)
{
	gboolean header = r->len <= MAX_SMALL_SIZE && r->fields.n > 0 &&
	                  hw_goheapdump_first_field(d, r->fields) >= MALLOC_HEADER_SIZE;
	add(out, r, rec, header ? MALLOC_HEADER_SIZE : 0);
}

/* The records idx[0..n) of one page, all of elemsize `size`. */
static gboolean page_records(const hw_goheapdump *d, const guint32 *idx, gsize n, guint64 size, gboolean greentea,
                             hw_ghd_objects *st, GArray *out, GError **error)
{
	const hw_ghd_memory *v = (const hw_ghd_memory *)d->objects->data;
	guint64 page = v[idx[0]].addr & ~(guint64)(GR_PAGE_SIZE - 1);
	guint64 n_scan = gr_span_expected_nelems(size, 1, true, greentea);
	guint64 n_noscan = gr_span_expected_nelems(size, 1, false, greentea);
	guint64 slots = GR_PAGE_SIZE / size, below = 0;
	gboolean scan = FALSE;
	for (gsize k = 0; k < n; k++) {
		const hw_ghd_memory *r = &v[idx[k]];
		if (r->len != size || (r->addr - page) % size != 0)
			return corrupt(error, r, "%" G_GUINT64_FORMAT " bytes do not fit the %" G_GUINT64_FORMAT
			               "-byte slots of the span at 0x%" G_GINT64_MODIFIER "x (record at offset %"
			               G_GUINT64_FORMAT ")", r->len, size, page, v[idx[0]].rec_off);
		if ((r->addr - page) / size < n_scan) {
			below++;
			scan = scan || r->fields.n > 0;
		}
	}
	if (!scan && below == 0 && n_scan != n_noscan && n == slots - n_scan) {
		scan = TRUE;   /* an in-use scan span with nothing allocated: only its tail was dumped */
		st->empty_scan_spans++;
	}
	guint64 nelems = scan ? n_scan : n_noscan;
	for (gsize k = 0; k < n; k++) {
		const hw_ghd_memory *r = &v[idx[k]];
		if ((r->addr - page) / size >= nelems) {
			st->bogus++;
			st->bogus_bytes += size;
		} else {
			add(out, r, idx[k], 0);
		}
	}
	return TRUE;
}

gboolean hw_ghd_objects_build(const hw_goheapdump *d, gboolean greentea, hw_ghd_objects *out, GError **error)
{
	memset(out, 0, sizeof *out);
	const hw_ghd_memory *v = (const hw_ghd_memory *)d->objects->data;
	gsize n = d->objects->len;
	if (n > HWD_MAX_OBJECTS) {
		g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_UNSUPPORTED, "%zu Object records: a snapshot holds at "
		            "most %u objects", n, HWD_MAX_OBJECTS);
		return FALSE;
	}
	guint32 *idx = g_new(guint32, n ? n : 1);
	for (gsize i = 0; i < n; i++)
		idx[i] = (guint32)i;
	qsort_r(idx, n, sizeof *idx, cmp_addr, d->objects);
	GArray *objs = g_array_sized_new(FALSE, FALSE, sizeof(hw_ghd_object), (guint)n);
	gboolean ok = TRUE;
	for (gsize i = 0; i < n && ok;) {
		const hw_ghd_memory *r = &v[idx[i]];
		if (i > 0 && v[idx[i - 1]].addr == r->addr) {
			ok = corrupt(error, r, "a second record of the same address (the other at offset %" G_GUINT64_FORMAT ")",
			             v[idx[i - 1]].rec_off);
			break;
		}
		if (r->len == 0) {
			ok = corrupt(error, r, "no contents (an object has at least one word)");
			break;
		}
		if (r->len > MIN_SIZE_FOR_MALLOC_HEADER) {
			big_record(d, r, idx[i], objs);
			i++;
			continue;
		}
		guint64 page = r->addr & ~(guint64)(GR_PAGE_SIZE - 1);
		gsize j = i + 1;
		while (j < n && (v[idx[j]].addr & ~(guint64)(GR_PAGE_SIZE - 1)) == page) {
			if (v[idx[j]].addr == v[idx[j - 1]].addr)
				break;   /* reported as a duplicate above when reached */
			j++;
		}
		ok = page_records(d, idx + i, j - i, r->len, greentea, out, objs, error);
		i = j;
	}
	for (guint k = 1; k < objs->len && ok; k++) {
		const hw_ghd_object *a = &g_array_index(objs, hw_ghd_object, k - 1);
		const hw_ghd_object *b = &g_array_index(objs, hw_ghd_object, k);
		if (b->addr - b->header < a->addr + a->size)
			ok = corrupt(error, &v[b->rec], "its slot overlaps the object at 0x%" G_GINT64_MODIFIER "x (%"
			             G_GUINT64_FORMAT " bytes, record at offset %" G_GUINT64_FORMAT ")", a->addr, a->size,
			             v[a->rec].rec_off);
	}
	g_free(idx);
	if (!ok) {
		g_array_free(objs, TRUE);
		return FALSE;
	}
	for (guint k = 0; k < objs->len; k++) {
		const hw_ghd_object *o = &g_array_index(objs, hw_ghd_object, k);
		out->slot_bytes += o->size + o->header;
		out->header_objects += o->header != 0;
	}
	out->n = objs->len;
	out->v = (hw_ghd_object *)g_array_free(objs, FALSE);
	return TRUE;
}

guint32 hw_ghd_objects_find(const hw_ghd_objects *o, guint64 addr)
{
	gsize lo = 0, hi = o->n;
	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;
		if (o->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr - o->v[lo - 1].addr >= o->v[lo - 1].size)
		return HW_GHD_NO_OBJECT;
	return (guint32)(lo - 1);
}

void hw_ghd_objects_clear(hw_ghd_objects *o)
{
	g_free(o->v);
	memset(o, 0, sizeof *o);
}
