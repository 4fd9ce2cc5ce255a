/* moduledata.c - locate and read runtime.moduledata with the layout from DWARF.
 *
 * Field offsets come from DWARF's runtime.moduledata (or, for a binary without DWARF, the
 * layout table's record of it, which answers through the same hw_dwarf), so a new runtime that
 * moves fields needs no change here; a missing field is reported by name. A pointer-sized
 * field is read as 8 bytes (amd64 only) and a slice as {ptr, len, cap}.
 */
#include "debuginfo/moduledata.h"

#include <string.h>

gboolean hw_moduledata_locate(hw_elf *e, hw_dwarf *d, guint64 bias, guint64 *addr,
			      GError **err)
{
	guint64 a;
	if ((d && hw_dwarf_global(d, "runtime.firstmoduledata", &a, NULL, NULL)) ||
	    hw_elf_symbol(e, "runtime.firstmoduledata", &a, NULL) ||
	    hw_elf_section_info(e, ".go.module", &a, NULL)) {
		*addr = a + bias;
		return TRUE;
	}
	g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_GO,
		    "%s: cannot find runtime.firstmoduledata (no DWARF variable, no symbol, no "
		    ".go.module section): not a Go program, or stripped", hw_elf_path(e));
	return FALSE;
}

typedef struct {
	const char *field;
	gsize slot;           /* offsetof in hw_moduledata */
	gboolean slice;
} field_spec;

#define U(f) { #f, G_STRUCT_OFFSET(hw_moduledata, f), FALSE }
#define S(f) { #f, G_STRUCT_OFFSET(hw_moduledata, f), TRUE }

static const field_spec fields[] = {
	{ "pcHeader", G_STRUCT_OFFSET(hw_moduledata, pcheader), FALSE },
	S(funcnametab), S(cutab), S(filetab), S(pctab), S(pclntable), S(ftab),
	U(findfunctab), U(minpc), U(maxpc), U(text), U(etext), U(noptrdata), U(enoptrdata),
	U(data), U(edata), U(bss), U(ebss), U(noptrbss), U(enoptrbss), U(end), U(gcdata),
	U(gcbss), U(types), U(etypes), U(rodata), U(gofunc), U(next),
};

#undef U
#undef S

gboolean hw_moduledata_read(hw_memsrc *mem, hw_dwarf *d, guint64 addr, hw_moduledata *out,
			    GError **err)
{
	guint64 size;
	if (!hw_dwarf_type_size(d, "runtime.moduledata", &size, err))
		return FALSE;
	if (size > 1 << 16) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
			    "the layout says runtime.moduledata is %" G_GUINT64_FORMAT " bytes", size);
		return FALSE;
	}
	/* Every offset before the read: the layout does not depend on the memory (and the
	 * layout table generator records these lookups with no target to read). */
	guint64 offs[G_N_ELEMENTS(fields)];
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		gsize width = fields[i].slice ? 24 : 8;
		if (!hw_dwarf_struct_member_offset(d, "runtime.moduledata", fields[i].field, &offs[i],
						   err))
			return FALSE;
		if (offs[i] > size || width > size - offs[i]) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "runtime.moduledata.%s at offset %" G_GUINT64_FORMAT
				    " lies outside the struct (%" G_GUINT64_FORMAT " bytes)",
				    fields[i].field, offs[i], size);
			return FALSE;
		}
	}
	g_autofree guint8 *raw = g_malloc(size);
	if (!hw_memsrc_read(mem, addr, raw, size, err)) {
		g_prefix_error(err, "reading runtime.moduledata: ");
		return FALSE;
	}
	hw_moduledata md = { .addr = addr };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		gsize width = fields[i].slice ? 24 : 8;
		guint64 words[3];
		for (gsize k = 0; k < width / 8; k++) {
			guint64 v;
			memcpy(&v, raw + offs[i] + 8 * k, 8);
			words[k] = GUINT64_FROM_LE(v);
		}
		if (fields[i].slice)
			memcpy(G_STRUCT_MEMBER_P(&md, fields[i].slot), words, sizeof(hw_goslice));
		else
			G_STRUCT_MEMBER(guint64, &md, fields[i].slot) = words[0];
	}
	if (md.text > md.etext || md.minpc > md.maxpc || md.data > md.edata ||
	    md.bss > md.ebss || md.noptrdata > md.enoptrdata || md.noptrbss > md.enoptrbss ||
	    md.types > md.etypes) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
			    "runtime.moduledata at 0x%" G_GINT64_MODIFIER "x has inverted bounds "
			    "(text 0x%" G_GINT64_MODIFIER "x..0x%" G_GINT64_MODIFIER "x, data 0x%"
			    G_GINT64_MODIFIER "x..0x%" G_GINT64_MODIFIER "x): wrong address or "
			    "layout", addr, md.text, md.etext, md.data, md.edata);
		return FALSE;
	}
	if (md.next != 0) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_UNSUPPORTED,
			    "the program has more than one Go module (moduledata.next = 0x%"
			    G_GINT64_MODIFIER "x: plugins or -linkshared); heapwalk reads "
			    "statically linked Go programs", md.next);
		return FALSE;
	}
	*out = md;
	return TRUE;
}
