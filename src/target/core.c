/* core.c - an ELF core as a target: validation, notes, executable lookup, layered memory.
 *
 * The core's own memory source (coremem) serves [p_vaddr, p_vaddr+p_filesz) of each PT_LOAD
 * by pread from the core file; the executable (exemem.c) serves the rest through a layered
 * source. The executable is the NT_FILE mapping that contains AT_ENTRY (the program's entry
 * point), which is the main program even when the core has many mappings.
 */
#include "target/core.h"
#include "target/exemem.h"
#include "target/memsrc-private.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest note segment we read into memory; real ones are a few hundred KiB. */
#define MAX_NOTE_BYTES (64u << 20)

typedef struct {
	guint64 vaddr;
	guint64 filesz;
	guint64 offset;
	guint32 perms;
	const char *name;
} core_seg;

typedef struct {
	hw_memsrc base;
	int fd;
	GArray *segs;             /* of core_seg with filesz > 0, sorted by vaddr */
} coremem;

struct hw_core {
	hw_core_notes notes;
	hw_memsrc *core_mem;
	hw_memsrc *mem;
	char *exe_path;
	guint64 exe_bias;
};

static gsize seg_index(coremem *c, guint64 addr)
{
	/* Last segment with vaddr <= addr, or G_MAXSIZE. */
	gsize lo = 0, hi = c->segs->len;
	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;
		if (g_array_index(c->segs, core_seg, mid).vaddr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? G_MAXSIZE : lo - 1;
}

static gboolean coremem_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	coremem *c = (coremem *)m;
	gsize done = 0;
	while (done < len) {
		guint64 a = addr + done;
		gsize i = seg_index(c, a);
		const core_seg *s = i == G_MAXSIZE ? NULL : &g_array_index(c->segs, core_seg, i);
		if (s == NULL || a - s->vaddr >= s->filesz) {
			hw_memsrc_set_unmapped(m, err, addr, len);
			return FALSE;
		}
		gsize n = (gsize)MIN((guint64)(len - done), s->filesz - (a - s->vaddr));
		gssize r = pread(c->fd, (guint8 *)buf + done, n, (off_t)(s->offset + (a - s->vaddr)));
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
				    "%s: reading %" G_GSIZE_FORMAT " bytes at 0x%" G_GINT64_MODIFIER
				    "x failed: %s", m->description, len, addr,
				    r < 0 ? g_strerror(errno) : "unexpected end of file");
			return FALSE;
		}
		done += (gsize)r;
	}
	return TRUE;
}

static gboolean coremem_load_regions(hw_memsrc *m, GArray *out, GError **err)
{
	coremem *c = (coremem *)m;
	(void)err;
	for (guint i = 0; i < c->segs->len; i++) {
		const core_seg *s = &g_array_index(c->segs, core_seg, i);
		hw_region r = {
			.start = s->vaddr,
			.end = s->vaddr + s->filesz,
			.perms = s->perms,
			.file_offset = 0,
			.name = s->name,
		};
		g_array_append_val(out, r);
	}
	return TRUE;
}

static void coremem_finalize(hw_memsrc *m)
{
	coremem *c = (coremem *)m;
	close(c->fd);
	g_array_unref(c->segs);
}

static const hw_memsrc_class coremem_class = {
	.kind = "core",
	.read = coremem_read,
	.load_regions = coremem_load_regions,
	.finalize = coremem_finalize,
	.volatile_regions = FALSE,
};

static gint seg_cmp(gconstpointer a, gconstpointer b)
{
	const core_seg *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static const hw_core_file *file_at(const hw_core_notes *notes, guint64 addr)
{
	for (guint i = 0; i < notes->files->len; i++) {
		const hw_core_file *f = &g_array_index(notes->files, hw_core_file, i);
		if (addr >= f->start && addr < f->end)
			return f;
	}
	return NULL;
}

/* Reads the program headers: notes into c->notes, loads into cm->segs. */
static gboolean read_core(hw_core *c, coremem *cm, const char *path, guint64 file_size,
			  GError **err)
{
	Elf *elf = elf_begin(cm->fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	gboolean ok = FALSE;
	size_t nph = 0;

	if (elf == NULL || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == NULL) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNSUPPORTED,
			    "%s is not an ELF file", path);
		goto out;
	}
	if (eh.e_type != ET_CORE) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNSUPPORTED,
			    "%s is an ELF file but not a core (e_type %u)", path, eh.e_type);
		goto out;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNSUPPORTED,
			    "%s is not an x86-64 core (machine %u)", path, eh.e_machine);
		goto out;
	}
	if (elf_getphdrnum(elf, &nph) != 0) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
			    "%s: cannot read the program headers (e_phoff 0x%" G_GINT64_MODIFIER
			    "x): %s", path, eh.e_phoff, elf_errmsg(-1));
		goto out;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) == NULL) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
				    "%s: program header #%zu is unreadable: %s", path, i,
				    elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type != PT_NOTE && ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
				    "%s is truncated: %s #%zu needs file bytes 0x%" G_GINT64_MODIFIER
				    "x..0x%" G_GINT64_MODIFIER "x but the file has %" G_GUINT64_FORMAT
				    " bytes", path, ph.p_type == PT_NOTE ? "PT_NOTE" : "PT_LOAD", i,
				    ph.p_offset, ph.p_offset + ph.p_filesz, file_size);
			goto out;
		}
		if (ph.p_type == PT_NOTE) {
			if (ph.p_filesz > MAX_NOTE_BYTES) {
				g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
					    "%s: PT_NOTE #%zu at 0x%" G_GINT64_MODIFIER "x claims %"
					    G_GUINT64_FORMAT " bytes (limit %u)", path, i, ph.p_offset,
					    ph.p_filesz, MAX_NOTE_BYTES);
				goto out;
			}
			g_autofree guint8 *buf = g_malloc(ph.p_filesz ? ph.p_filesz : 1);
			if (pread(cm->fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (gssize)ph.p_filesz) {
				g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
					    "%s: cannot read PT_NOTE #%zu at 0x%" G_GINT64_MODIFIER "x",
					    path, i, ph.p_offset);
				goto out;
			}
			if (!hw_core_notes_parse(&c->notes, buf, ph.p_filesz, ph.p_offset, err)) {
				g_prefix_error(err, "%s: ", path);
				goto out;
			}
		} else if (ph.p_filesz > 0) {
			if (ph.p_filesz > ph.p_memsz || ph.p_vaddr + ph.p_filesz < ph.p_vaddr) {
				g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
					    "%s: PT_LOAD #%zu at vaddr 0x%" G_GINT64_MODIFIER "x has "
					    "filesz 0x%" G_GINT64_MODIFIER "x > memsz 0x%"
					    G_GINT64_MODIFIER "x", path, i, ph.p_vaddr, ph.p_filesz,
					    ph.p_memsz);
				goto out;
			}
			core_seg s = {
				.vaddr = ph.p_vaddr,
				.filesz = ph.p_filesz,
				.offset = ph.p_offset,
				.perms = (ph.p_flags & PF_R ? HW_PERM_R : 0) |
					 (ph.p_flags & PF_W ? HW_PERM_W : 0) |
					 (ph.p_flags & PF_X ? HW_PERM_X : 0),
			};
			g_array_append_val(cm->segs, s);
		}
	}
	g_array_sort(cm->segs, seg_cmp);
	for (guint i = 0; i < cm->segs->len; i++) {
		core_seg *s = &g_array_index(cm->segs, core_seg, i);
		if (i > 0) {
			const core_seg *p = &g_array_index(cm->segs, core_seg, i - 1);
			if (p->vaddr + p->filesz > s->vaddr) {
				g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
					    "%s: PT_LOAD segments at 0x%" G_GINT64_MODIFIER "x and 0x%"
					    G_GINT64_MODIFIER "x overlap", path, p->vaddr, s->vaddr);
				goto out;
			}
		}
		const hw_core_file *f = file_at(&c->notes, s->vaddr);
		s->name = g_string_chunk_insert_const(cm->base.names, f ? f->path : "");
	}
	if (c->notes.threads->len == 0) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
			    "%s has no NT_PRSTATUS note: no threads", path);
		goto out;
	}
	ok = TRUE;
out:
	if (elf)
		elf_end(elf);
	return ok;
}

/* Chooses the executable's path as the core names it, and the mapping to compute the bias. */
static const hw_core_file *find_exe_mapping(const hw_core_notes *notes)
{
	guint64 entry;
	const hw_core_file *f = NULL;
	if (hw_core_notes_auxv(notes, AT_ENTRY, &entry))
		f = file_at(notes, entry);
	if (f == NULL && notes->fname[0]) {
		for (guint i = 0; i < notes->files->len && f == NULL; i++) {
			const hw_core_file *g = &g_array_index(notes->files, hw_core_file, i);
			g_autofree char *base = g_path_get_basename(g->path);
			if (g->file_offset == 0 && g_str_has_prefix(base, notes->fname))
				f = g;
		}
	}
	if (f == NULL)
		return NULL;
	/* The same file's mapping with the lowest offset. */
	const hw_core_file *best = f;
	for (guint i = 0; i < notes->files->len; i++) {
		const hw_core_file *g = &g_array_index(notes->files, hw_core_file, i);
		if (strcmp(g->path, f->path) == 0 && g->file_offset < best->file_offset)
			best = g;
	}
	return best;
}

static gboolean attach_exe(hw_core *c, const char *core_path, const char *exe_override,
			   GError **err)
{
	const hw_core_file *map = find_exe_mapping(&c->notes);
	const char *path = exe_override ? exe_override : map ? map->path : NULL;
	if (path == NULL) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NOT_FOUND,
			    "%s: cannot tell which file is the executable (no NT_FILE mapping holds "
			    "the entry point); pass --exe", core_path);
		return FALSE;
	}
	if (exe_override == NULL && access(path, R_OK) != 0) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NOT_FOUND,
			    "%s: its executable %s cannot be read (%s); pass --exe with a copy of "
			    "the same build", core_path, path, g_strerror(errno));
		return FALSE;
	}
	g_autoptr(GError) local = NULL;
	g_autoptr(hw_elf) exe = hw_elf_open(path, &local);
	if (exe == NULL) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NOT_FOUND, "%s", local->message);
		return FALSE;
	}
	guint64 bias = 0, entry;
	gboolean have_entry = hw_core_notes_auxv(&c->notes, AT_ENTRY, &entry);
	if (map) {
		if (!hw_elf_load_bias(exe, map->start, map->file_offset, &bias, &local)) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT, "%s: %s",
				    core_path, local->message);
			return FALSE;
		}
	} else if (have_entry && hw_elf_is_pie(exe)) {
		bias = entry - hw_elf_entry(exe);
	}
	if (have_entry && entry != hw_elf_entry(exe) + bias) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
			    "%s does not belong to %s: the core's entry point 0x%" G_GINT64_MODIFIER
			    "x is not the executable's 0x%" G_GINT64_MODIFIER "x + bias 0x%"
			    G_GINT64_MODIFIER "x", path, core_path, entry, hw_elf_entry(exe), bias);
		return FALSE;
	}
	c->exe_path = g_strdup(path);
	c->exe_bias = bias;
	g_autoptr(hw_memsrc) lower = hw_exemem_new(exe, bias);
	c->mem = hw_memsrc_new_layered(c->core_mem, lower);
	return TRUE;
}

hw_core *hw_core_open(const char *core_path, const char *exe_path, GError **err)
{
	g_return_val_if_fail(core_path != NULL, NULL);
	if (elf_version(EV_CURRENT) == EV_NONE) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO, "libelf is out of date");
		return NULL;
	}
	int fd = open(core_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		g_set_error(err, HW_TARGET_ERROR, e == ENOENT ? HW_TARGET_ERROR_NOT_FOUND :
			    HW_TARGET_ERROR_IO, "cannot open core %s: %s", core_path, g_strerror(e));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO, "cannot stat %s", core_path);
		return NULL;
	}
	coremem *cm = g_new0(coremem, 1);
	hw_memsrc_init(&cm->base, &coremem_class, g_strdup_printf("core %s", core_path));
	cm->fd = fd;
	cm->segs = g_array_new(FALSE, FALSE, sizeof(core_seg));

	hw_core *c = g_new0(hw_core, 1);
	hw_core_notes_init(&c->notes);
	c->core_mem = &cm->base;
	if (!read_core(c, cm, core_path, (guint64)st.st_size, err) ||
	    !attach_exe(c, core_path, exe_path, err)) {
		hw_core_free(c);
		return NULL;
	}
	return c;
}

hw_memsrc *hw_core_memsrc(hw_core *c) { return c->mem; }

const hw_thread *hw_core_threads(hw_core *c, gsize *n_threads)
{
	*n_threads = c->notes.threads->len;
	return (const hw_thread *)c->notes.threads->data;
}

const hw_core_notes *hw_core_get_notes(hw_core *c) { return &c->notes; }
const char *hw_core_exe_path(hw_core *c) { return c->exe_path; }
guint64 hw_core_exe_bias(hw_core *c) { return c->exe_bias; }

void hw_core_free(hw_core *c)
{
	if (c == NULL)
		return;
	hw_memsrc_unref(c->mem);
	hw_memsrc_unref(c->core_mem);
	hw_core_notes_clear(&c->notes);
	g_free(c->exe_path);
	g_free(c);
}
