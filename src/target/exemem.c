/* exemem.c - an executable's PT_LOAD segments as a memory source (file bytes, then zeros).
 *
 * Region names are the executable's path and carry the segment's file offset, like a
 * /proc/PID/maps line for the same mapping.
 */
#include "target/exemem.h"
#include "target/memsrc-private.h"

#include <elf.h>
#include <string.h>

typedef struct {
	hw_memsrc base;
	hw_elf *elf;
	guint64 bias;
} exemem;

static gboolean exemem_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	exemem *x = (exemem *)m;
	gsize n;
	const hw_elf_segment *seg = hw_elf_segments(x->elf, &n);
	guint64 link = addr - x->bias;

	for (gsize i = 0; i < n; i++) {
		const hw_elf_segment *s = &seg[i];
		if (link < s->vaddr || link - s->vaddr > s->memsz || len > s->memsz - (link - s->vaddr))
			continue;
		guint64 rel = link - s->vaddr;
		gsize from_file = rel < s->filesz ? (gsize)MIN(len, s->filesz - rel) : 0;
		if (from_file && !hw_elf_read_file(x->elf, s->offset + rel, buf, from_file, err))
			return FALSE;
		memset((guint8 *)buf + from_file, 0, len - from_file);
		return TRUE;
	}
	hw_memsrc_set_unmapped(m, err, addr, len);
	return FALSE;
}

static gboolean exemem_load_regions(hw_memsrc *m, GArray *out, GError **err)
{
	exemem *x = (exemem *)m;
	gsize n;
	const hw_elf_segment *seg = hw_elf_segments(x->elf, &n);
	const char *name = g_string_chunk_insert_const(m->names, hw_elf_path(x->elf));
	(void)err;
	for (gsize i = 0; i < n; i++) {
		if (seg[i].memsz == 0)
			continue;
		hw_region r = {
			.start = seg[i].vaddr + x->bias,
			.end = seg[i].vaddr + x->bias + seg[i].memsz,
			.perms = (seg[i].flags & PF_R ? HW_PERM_R : 0) |
				 (seg[i].flags & PF_W ? HW_PERM_W : 0) |
				 (seg[i].flags & PF_X ? HW_PERM_X : 0),
			.file_offset = seg[i].offset,
			.name = name,
		};
		g_array_append_val(out, r);
	}
	return TRUE;
}

static void exemem_finalize(hw_memsrc *m)
{
	hw_elf_unref(((exemem *)m)->elf);
}

static const hw_memsrc_class exemem_class = {
	.kind = "executable",
	.read = exemem_read,
	.load_regions = exemem_load_regions,
	.finalize = exemem_finalize,
	.volatile_regions = FALSE,
};

hw_memsrc *hw_exemem_new(hw_elf *elf, guint64 bias)
{
	g_return_val_if_fail(elf != NULL, NULL);
	exemem *x = g_new0(exemem, 1);
	hw_memsrc_init(&x->base, &exemem_class, g_strdup_printf("executable %s", hw_elf_path(elf)));
	x->elf = hw_elf_ref(elf);
	x->bias = bias;
	return &x->base;
}
