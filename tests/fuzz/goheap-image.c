/* goheap-image.c - saving and parsing the memory images of goheap-image.h.
 *
 * The parser checks every count against the bytes left before using it, so a mutated file is
 * either an image or an error naming where it went wrong.
 */
#include "goheap-image.h"

#include <string.h>

#include "target/memimage.h"

#define MAGIC "HWGOIMG1"

typedef struct cursor {
	const guint8 *p;
	gsize size, off;
} cursor;

static gboolean take(cursor *c, void *out, gsize n, const char *what, GError **error)
{
	if (n > c->size - c->off) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "image truncated at offset %zu: %s needs %zu bytes, "
		            "%zu left", c->off, what, n, c->size - c->off);
		return FALSE;
	}
	if (out)
		memcpy(out, c->p + c->off, n);
	c->off += n;
	return TRUE;
}

gboolean goheap_image_parse(const guint8 *data, gsize size, goheap_image *out, GError **error)
{
	cursor c = { data, size, 0 };
	char magic[8];
	guint32 n;
	memset(out, 0, sizeof *out);
	if (!take(&c, magic, 8, "magic", error))
		return FALSE;
	if (memcmp(magic, MAGIC, 8) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a goheap image (magic at offset 0)");
		return FALSE;
	}
	if (!take(&c, &n, 4, "exe path length", error))
		return FALSE;
	gsize at = c.off;
	if (!take(&c, NULL, n, "exe path", error))
		return FALSE;
	out->exe = g_strndup((const char *)data + at, n);
	out->threads = g_array_new(FALSE, TRUE, sizeof(hw_thread));
	out->mem = hw_memimage_new();
	if (!take(&c, &out->bias, 8, "load bias", error) || !take(&c, &n, 4, "thread count", error))
		goto fail;
	for (guint32 i = 0; i < n; i++) {
		hw_thread t;
		if (!take(&c, &t.tid, 4, "thread id", error) || !take(&c, &t.regs, sizeof t.regs, "registers", error))
			goto fail;
		g_array_append_val(out->threads, t);
	}
	if (!take(&c, &n, 4, "range count", error))
		goto fail;
	for (guint32 i = 0; i < n; i++) {
		guint64 addr, len;
		if (!take(&c, &addr, 8, "range address", error) || !take(&c, &len, 8, "range length", error))
			goto fail;
		at = c.off;
		if (addr + len < addr) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "range %u at offset %zu wraps the address space",
			            i, at - 16);
			goto fail;
		}
		if (!take(&c, NULL, len, "range bytes", error))
			goto fail;
		hw_memimage_insert(out->mem, addr, data + at, len);
	}
	return TRUE;
fail:
	goheap_image_clear(out);
	return FALSE;
}

gboolean goheap_image_save(const char *path, const char *exe, guint64 bias, const hw_thread *threads,
                           gsize n_threads, hw_memsrc *image, GError **error)
{
	GByteArray *b = g_byte_array_new();
	guint32 n = (guint32)strlen(exe);
	g_byte_array_append(b, (const guint8 *)MAGIC, 8);
	g_byte_array_append(b, (const guint8 *)&n, 4);
	g_byte_array_append(b, (const guint8 *)exe, n);
	g_byte_array_append(b, (const guint8 *)&bias, 8);
	n = (guint32)n_threads;
	g_byte_array_append(b, (const guint8 *)&n, 4);
	for (gsize i = 0; i < n_threads; i++) {
		g_byte_array_append(b, (const guint8 *)&threads[i].tid, 4);
		g_byte_array_append(b, (const guint8 *)&threads[i].regs, sizeof threads[i].regs);
	}
	gsize nr = 0;
	const hw_region *r = hw_memsrc_regions(image, &nr, error);
	gboolean ok = r != NULL || nr == 0;
	n = (guint32)nr;
	g_byte_array_append(b, (const guint8 *)&n, 4);
	for (gsize i = 0; ok && i < nr; i++) {
		guint64 addr = r[i].start, len = r[i].end - r[i].start;
		gsize at = b->len;
		g_byte_array_append(b, (const guint8 *)&addr, 8);
		g_byte_array_append(b, (const guint8 *)&len, 8);
		g_byte_array_set_size(b, at + 16 + len);
		ok = hw_memsrc_read(image, addr, b->data + at + 16, len, error);
	}
	ok = ok && g_file_set_contents(path, (const char *)b->data, b->len, error);
	g_byte_array_unref(b);
	return ok;
}

void goheap_image_clear(goheap_image *im)
{
	g_free(im->exe);
	if (im->threads)
		g_array_unref(im->threads);
	if (im->mem)
		hw_memsrc_unref(im->mem);
	memset(im, 0, sizeof *im);
}
