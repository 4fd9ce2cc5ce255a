/* corenotes.c - the notes of an x86-64 Linux core: threads, process info, mapped files, auxv.
 *
 * Linux writes each note as {namesz, descsz, type} (32-bit each), the owner name and the
 * descriptor, both padded to 4 bytes. We walk them with every size checked against what
 * remains of the segment and copy fields out with memcpy (the segment need not be aligned).
 */
#include "target/corenotes.h"

#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/procfs.h>

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

void hw_core_notes_init(hw_core_notes *notes)
{
	memset(notes, 0, sizeof *notes);
	notes->threads = g_array_new(FALSE, TRUE, sizeof(hw_thread));
	notes->files = g_array_new(FALSE, TRUE, sizeof(hw_core_file));
	notes->auxv = g_array_new(FALSE, TRUE, sizeof(guint64));
}

void hw_core_notes_clear(hw_core_notes *notes)
{
	if (notes->files) {
		for (guint i = 0; i < notes->files->len; i++)
			g_free(g_array_index(notes->files, hw_core_file, i).path);
	}
	g_clear_pointer(&notes->threads, g_array_unref);
	g_clear_pointer(&notes->files, g_array_unref);
	g_clear_pointer(&notes->auxv, g_array_unref);
}

static guint32 get_u32(const guint8 *p)
{
	guint32 v;
	memcpy(&v, p, 4);
	return GUINT32_FROM_LE(v);
}

static guint64 get_u64(const guint8 *p)
{
	guint64 v;
	memcpy(&v, p, 8);
	return GUINT64_FROM_LE(v);
}

static gboolean corrupt(GError **err, const char *note, guint64 at, const char *what)
{
	g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
		    "core note %s at file offset 0x%" G_GINT64_MODIFIER "x: %s", note, at, what);
	return FALSE;
}

static gboolean parse_prstatus(hw_core_notes *notes, const guint8 *desc, gsize len, guint64 at,
			       GError **err)
{
	const gsize need = offsetof(struct elf_prstatus, pr_reg) + sizeof(elf_gregset_t);
	if (len < need)
		return corrupt(err, "NT_PRSTATUS", at, "descriptor too small for the registers");
	hw_thread t;
	memset(&t, 0, sizeof t);
	gint32 pid;
	memcpy(&pid, desc + offsetof(struct elf_prstatus, pr_pid), sizeof pid);
	t.tid = pid;
	G_STATIC_ASSERT(sizeof(elf_gregset_t) == sizeof(struct user_regs_struct));
	memcpy(&t.regs, desc + offsetof(struct elf_prstatus, pr_reg), sizeof t.regs);
	g_array_append_val(notes->threads, t);
	if (notes->pid == 0)
		notes->pid = pid;
	return TRUE;
}

static gboolean parse_prpsinfo(hw_core_notes *notes, const guint8 *desc, gsize len, guint64 at,
			       GError **err)
{
	if (len < sizeof(struct elf_prpsinfo))
		return corrupt(err, "NT_PRPSINFO", at, "descriptor too small");
	gint32 pid;
	memcpy(&pid, desc + offsetof(struct elf_prpsinfo, pr_pid), sizeof pid);
	notes->pid = pid;
	memcpy(notes->fname, desc + offsetof(struct elf_prpsinfo, pr_fname), 16);
	notes->fname[16] = '\0';
	return TRUE;
}

static gboolean parse_file(hw_core_notes *notes, const guint8 *desc, gsize len, guint64 at,
			   GError **err)
{
	if (len < 16)
		return corrupt(err, "NT_FILE", at, "descriptor too small for its header");
	guint64 count = get_u64(desc), page = get_u64(desc + 8);
	if (count > (len - 16) / 24)
		return corrupt(err, "NT_FILE", at, "more entries than the descriptor holds");
	if (page == 0 || (page & (page - 1)) != 0)
		return corrupt(err, "NT_FILE", at, "page size is not a power of two");
	gsize names = 16 + count * 24;
	for (guint64 i = 0; i < count; i++) {
		const guint8 *ent = desc + 16 + i * 24;
		const guint8 *nul = memchr(desc + names, '\0', len - names);
		if (nul == NULL)
			return corrupt(err, "NT_FILE", at, "a file name is not NUL-terminated");
		guint64 start = get_u64(ent), end = get_u64(ent + 8), pgoff = get_u64(ent + 16);
		if (end < start || pgoff > G_MAXUINT64 / page)
			return corrupt(err, "NT_FILE", at, "an entry has end < start or a huge offset");
		hw_core_file f = {
			.start = start,
			.end = end,
			.file_offset = pgoff * page,
			.path = g_strndup((const char *)desc + names, (gsize)(nul - (desc + names))),
		};
		g_array_append_val(notes->files, f);
		names = (gsize)(nul - desc) + 1;
	}
	return TRUE;
}

static gboolean parse_auxv(hw_core_notes *notes, const guint8 *desc, gsize len, guint64 at,
			   GError **err)
{
	if (len % 16 != 0)
		return corrupt(err, "NT_AUXV", at, "size is not a multiple of 16");
	for (gsize i = 0; i + 16 <= len; i += 16) {
		guint64 pair[2] = { get_u64(desc + i), get_u64(desc + i + 8) };
		if (pair[0] == AT_NULL)
			break;
		g_array_append_vals(notes->auxv, pair, 2);
	}
	return TRUE;
}

gboolean hw_core_notes_parse(hw_core_notes *notes, const guint8 *data, gsize len,
			     guint64 base_offset, GError **err)
{
	gsize off = 0;
	while (off < len) {
		guint64 at = base_offset + off;
		if (len - off < 12)
			return corrupt(err, "header", at, "fewer than 12 bytes left for a note header");
		guint32 namesz = get_u32(data + off), descsz = get_u32(data + off + 4);
		guint32 type = get_u32(data + off + 8);
		gsize name_pad = ((gsize)namesz + 3) & ~(gsize)3;
		gsize desc_pad = ((gsize)descsz + 3) & ~(gsize)3;
		if (name_pad > len - off - 12 || desc_pad > len - off - 12 - name_pad) {
			g_autofree char *what = g_strdup_printf(
				"name size %u and descriptor size %u run past the end of the "
				"note segment (%" G_GSIZE_FORMAT " bytes left)",
				namesz, descsz, len - off - 12);
			g_autofree char *note = g_strdup_printf("type 0x%x", type);
			return corrupt(err, note, at, what);
		}
		const char *owner = (const char *)data + off + 12;
		const guint8 *desc = data + off + 12 + name_pad;
		gboolean core = namesz == 5 && memcmp(owner, "CORE", 5) == 0;
		gboolean ok = TRUE;
		if (core && type == NT_PRSTATUS)
			ok = parse_prstatus(notes, desc, descsz, at, err);
		else if (core && type == NT_PRPSINFO)
			ok = parse_prpsinfo(notes, desc, descsz, at, err);
		else if (core && type == NT_FILE)
			ok = parse_file(notes, desc, descsz, at, err);
		else if (core && type == NT_AUXV)
			ok = parse_auxv(notes, desc, descsz, at, err);
		if (!ok)
			return FALSE;
		off += 12 + name_pad + desc_pad;
	}
	return TRUE;
}

gboolean hw_core_notes_auxv(const hw_core_notes *notes, guint64 type, guint64 *value)
{
	for (guint i = 0; i + 1 < notes->auxv->len; i += 2) {
		if (g_array_index(notes->auxv, guint64, i) == type) {
			*value = g_array_index(notes->auxv, guint64, i + 1);
			return TRUE;
		}
	}
	return FALSE;
}
