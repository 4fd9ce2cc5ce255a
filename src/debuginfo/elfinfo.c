/* elfinfo.c - an ELF executable via libelf: sections, symbols, segments, notes, Go build info.
 *
 * The file stays open (and mmapped by libelf) for the hw_elf's lifetime: DWARF is opened on
 * the same descriptor, exemem.c reads segment contents from it, and section contents are
 * decompressed once and cached.
 */
#include "debuginfo/elfinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(hw-debuginfo-error-quark, hw_debuginfo_error)

typedef struct {
	guint64 value;
	guint64 size;
} symbol;

struct hw_elf {
	gint refcount;
	char *path;
	int fd;
	guint64 file_size;
	Elf *elf;
	GElf_Ehdr ehdr;
	size_t shstrndx;
	GArray *segments;          /* of hw_elf_segment */
	GHashTable *section_cache; /* name -> GBytes */
	GHashTable *symbols;       /* name (owned) -> symbol; NULL until first use */
	GArray *objects;           /* of hw_elf_object from .symtab, sorted; with symbols */
	gboolean has_symtab;       /* symbols came from .symtab (not .dynsym) */
	char *build_id;
	char *go_build_id;
	gboolean notes_read;
	char *go_version;
	char *modinfo;
	char *runtime_version;
};

static void set_elf_error(GError **err, hw_elf *e, const char *what)
{
	g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT, "%s: %s: %s", e->path,
		    what, elf_errmsg(-1));
}

hw_elf *hw_elf_open(const char *path, GError **err)
{
	g_return_val_if_fail(path != NULL, NULL);
	if (elf_version(EV_CURRENT) == EV_NONE) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_IO,
			    "libelf is out of date: %s", elf_errmsg(-1));
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_IO, "cannot open %s: %s",
			    path, g_strerror(e));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_ELF,
			    "%s is not a regular file", path);
		close(fd);
		return NULL;
	}

	hw_elf *e = g_new0(hw_elf, 1);
	e->refcount = 1;
	e->path = g_strdup(path);
	e->fd = fd;
	e->file_size = (guint64)st.st_size;
	e->segments = g_array_new(FALSE, FALSE, sizeof(hw_elf_segment));
	e->section_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify)g_bytes_unref);
	e->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e->elf == NULL || elf_kind(e->elf) != ELF_K_ELF || gelf_getehdr(e->elf, &e->ehdr) == NULL) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_ELF,
			    "%s is not an ELF file", path);
		hw_elf_unref(e);
		return NULL;
	}
	if (e->ehdr.e_ident[EI_CLASS] != ELFCLASS64 || e->ehdr.e_machine != EM_X86_64) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_ELF,
			    "%s is not an x86-64 ELF file (machine %u)", path, e->ehdr.e_machine);
		hw_elf_unref(e);
		return NULL;
	}
	if (elf_getshdrstrndx(e->elf, &e->shstrndx) != 0)
		e->shstrndx = SHN_UNDEF;

	size_t nph = 0;
	if (elf_getphdrnum(e->elf, &nph) != 0) {
		set_elf_error(err, e, "cannot read program headers");
		hw_elf_unref(e);
		return NULL;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e->elf, (int)i, &ph) == NULL || ph.p_type != PT_LOAD)
			continue;
		hw_elf_segment s = { ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags };
		if (s.filesz > s.memsz || s.offset > e->file_size ||
		    s.filesz > e->file_size - s.offset) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: PT_LOAD #%zu (offset 0x%" G_GINT64_MODIFIER "x, filesz 0x%"
				    G_GINT64_MODIFIER "x, memsz 0x%" G_GINT64_MODIFIER "x) lies "
				    "outside the file (%" G_GUINT64_FORMAT " bytes)",
				    path, i, s.offset, s.filesz, s.memsz, e->file_size);
			hw_elf_unref(e);
			return NULL;
		}
		g_array_append_val(e->segments, s);
	}
	return e;
}

hw_elf *hw_elf_ref(hw_elf *e)
{
	g_atomic_int_inc(&e->refcount);
	return e;
}

void hw_elf_unref(hw_elf *e)
{
	if (e == NULL || !g_atomic_int_dec_and_test(&e->refcount))
		return;
	if (e->elf)
		elf_end(e->elf);
	close(e->fd);
	g_array_unref(e->segments);
	g_hash_table_unref(e->section_cache);
	if (e->symbols)
		g_hash_table_unref(e->symbols);
	if (e->objects)
		g_array_unref(e->objects);
	g_free(e->build_id);
	g_free(e->go_build_id);
	g_free(e->go_version);
	g_free(e->modinfo);
	g_free(e->runtime_version);
	g_free(e->path);
	g_free(e);
}

const char *hw_elf_path(hw_elf *e) { return e->path; }
int hw_elf_fd(hw_elf *e) { return e->fd; }
gboolean hw_elf_is_pie(hw_elf *e) { return e->ehdr.e_type == ET_DYN; }
guint64 hw_elf_entry(hw_elf *e) { return e->ehdr.e_entry; }

const hw_elf_segment *hw_elf_segments(hw_elf *e, gsize *n_segments)
{
	*n_segments = e->segments->len;
	return (const hw_elf_segment *)e->segments->data;
}

gboolean hw_elf_read_file(hw_elf *e, guint64 offset, void *buf, gsize len, GError **err)
{
	if (offset > e->file_size || len > e->file_size - offset) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
			    "%s: %" G_GSIZE_FORMAT " bytes at file offset 0x%" G_GINT64_MODIFIER
			    "x lie past its end (%" G_GUINT64_FORMAT " bytes)", e->path, len, offset,
			    e->file_size);
		return FALSE;
	}
	gsize done = 0;
	while (done < len) {
		gssize n = pread(e->fd, (guint8 *)buf + done, len - done, (off_t)(offset + done));
		if (n <= 0) {
			int er = n < 0 ? errno : EIO;
			if (n < 0 && er == EINTR)
				continue;
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_IO,
				    "%s: read at offset 0x%" G_GINT64_MODIFIER "x failed: %s",
				    e->path, offset + done, g_strerror(er));
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}

gboolean hw_elf_read_vaddr(hw_elf *e, guint64 vaddr, void *buf, gsize len, GError **err)
{
	for (guint i = 0; i < e->segments->len; i++) {
		const hw_elf_segment *s = &g_array_index(e->segments, hw_elf_segment, i);
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (vaddr - s->vaddr))
			return hw_elf_read_file(e, s->offset + (vaddr - s->vaddr), buf, len, err);
	}
	g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
		    "%s: no segment holds %" G_GSIZE_FORMAT " file bytes at address 0x%"
		    G_GINT64_MODIFIER "x", e->path, len, vaddr);
	return FALSE;
}

static Elf_Scn *find_section(hw_elf *e, const char *name, GElf_Shdr *sh)
{
	if (e->shstrndx == SHN_UNDEF)
		return NULL;
	for (Elf_Scn *scn = elf_nextscn(e->elf, NULL); scn; scn = elf_nextscn(e->elf, scn)) {
		if (gelf_getshdr(scn, sh) == NULL)
			continue;
		const char *n = elf_strptr(e->elf, e->shstrndx, sh->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

gboolean hw_elf_section_info(hw_elf *e, const char *name, guint64 *addr, guint64 *size)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(e, name, &sh);
	if (scn == NULL)
		return FALSE;
	if (addr)
		*addr = sh.sh_addr;
	if (size) {
		*size = sh.sh_size;
		if (sh.sh_flags & SHF_COMPRESSED) {
			GElf_Chdr ch;
			if (gelf_getchdr(scn, &ch) != NULL)
				*size = ch.ch_size;
		}
	}
	return TRUE;
}

GBytes *hw_elf_section_data(hw_elf *e, const char *name, GError **err)
{
	GBytes *cached = g_hash_table_lookup(e->section_cache, name);
	if (cached)
		return cached;

	GElf_Shdr sh;
	Elf_Scn *scn = find_section(e, name, &sh);
	if (scn == NULL || sh.sh_type == SHT_NOBITS) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "%s has no section %s with contents", e->path, name);
		return NULL;
	}
	if (sh.sh_offset > e->file_size || sh.sh_size > e->file_size - sh.sh_offset) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
			    "%s: section %s (offset 0x%" G_GINT64_MODIFIER "x, size 0x%"
			    G_GINT64_MODIFIER "x) lies outside the file", e->path, name,
			    sh.sh_offset, sh.sh_size);
		return NULL;
	}
	GBytes *bytes;
	if (sh.sh_flags & SHF_COMPRESSED) {
		/* libelf replaces the section's data with the decompressed bytes (in memory
		 * only; the file is opened read-only). */
		if (elf_compress(scn, 0, 0) < 0) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: cannot decompress section %s: %s", e->path, name,
				    elf_errmsg(-1));
			return NULL;
		}
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d == NULL) {
			set_elf_error(err, e, "cannot read decompressed section");
			return NULL;
		}
		bytes = g_bytes_new(d->d_buf, d->d_size);
	} else {
		guint8 *buf = g_malloc(sh.sh_size ? sh.sh_size : 1);
		if (!hw_elf_read_file(e, sh.sh_offset, buf, sh.sh_size, err)) {
			g_free(buf);
			return NULL;
		}
		bytes = g_bytes_new_take(buf, sh.sh_size);
	}
	g_hash_table_insert(e->section_cache, g_strdup(name), bytes);
	return bytes;
}

static void load_symbols(hw_elf *e)
{
	e->symbols = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	e->objects = g_array_new(FALSE, FALSE, sizeof(hw_elf_object));
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(e, ".symtab", &sh);
	e->has_symtab = scn != NULL;
	if (scn == NULL)
		scn = find_section(e, ".dynsym", &sh);
	if (scn == NULL || sh.sh_entsize == 0)
		return;
	Elf_Data *d = elf_getdata(scn, NULL);
	if (d == NULL)
		return;
	size_t n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (gelf_getsym(d, (int)i, &sym) == NULL || sym.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(e->elf, sh.sh_link, sym.st_name);
		if (name == NULL || *name == '\0' || g_hash_table_contains(e->symbols, name))
			continue;
		symbol *s = g_new(symbol, 1);
		s->value = sym.st_value;
		s->size = sym.st_size;
		char *key = g_strdup(name);
		g_hash_table_insert(e->symbols, key, s);
		if (e->has_symtab && GELF_ST_TYPE(sym.st_info) == STT_OBJECT && sym.st_size > 0) {
			hw_elf_object o = { key, sym.st_value, sym.st_size };
			g_array_append_val(e->objects, o);
		}
	}
}

gboolean hw_elf_symbol(hw_elf *e, const char *name, guint64 *value, guint64 *size)
{
	if (e->symbols == NULL)
		load_symbols(e);
	symbol *s = g_hash_table_lookup(e->symbols, name);
	if (s == NULL)
		return FALSE;
	if (value)
		*value = s->value;
	if (size)
		*size = s->size;
	return TRUE;
}

gboolean hw_elf_has_symtab(hw_elf *e)
{
	if (e->symbols == NULL)
		load_symbols(e);
	return e->has_symtab;
}

const hw_elf_object *hw_elf_objects(hw_elf *e, gsize *n)
{
	if (e->symbols == NULL)
		load_symbols(e);
	*n = e->objects->len;
	return (const hw_elf_object *)e->objects->data;
}

/* Scans SHT_NOTE sections for the GNU and Go build ids. */
static void read_notes(hw_elf *e)
{
	e->notes_read = TRUE;
	for (Elf_Scn *scn = elf_nextscn(e->elf, NULL); scn; scn = elf_nextscn(e->elf, scn)) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d == NULL)
			continue;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const char *owner = (const char *)d->d_buf + name_off;
			const guint8 *desc = (const guint8 *)d->d_buf + desc_off;
			if (nh.n_namesz == 4 && memcmp(owner, "GNU", 4) == 0 &&
			    nh.n_type == NT_GNU_BUILD_ID && e->build_id == NULL) {
				GString *hex = g_string_new(NULL);
				for (guint i = 0; i < nh.n_descsz; i++)
					g_string_append_printf(hex, "%02x", desc[i]);
				e->build_id = g_string_free(hex, FALSE);
			} else if ((nh.n_namesz == 3 || nh.n_namesz == 4) &&
				   memcmp(owner, "Go", 3) == 0 &&
				   nh.n_type == 4 && e->go_build_id == NULL) {
				e->go_build_id = g_strndup((const char *)desc, nh.n_descsz);
			}
		}
	}
}

const char *hw_elf_build_id(hw_elf *e)
{
	if (!e->notes_read)
		read_notes(e);
	return e->build_id;
}

const char *hw_elf_go_build_id(hw_elf *e)
{
	if (!e->notes_read)
		read_notes(e);
	return e->go_build_id;
}

/* Reads a uvarint at *pos of data[0..len); FALSE if it runs off the end or overflows. */
static gboolean read_uvarint(const guint8 *data, gsize len, gsize *pos, guint64 *out)
{
	guint64 v = 0;
	for (guint shift = 0; shift < 64 && *pos < len; shift += 7) {
		guint8 b = data[(*pos)++];
		v |= (guint64)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean hw_elf_go_buildinfo(hw_elf *e, const char **go_version, const char **modinfo,
			     GError **err)
{
	static const char magic[] = "\xff Go buildinf:";
	enum { HEADER = 32, FLAG_INLINE = 0x2 };

	if (e->go_version == NULL) {
		GError *local = NULL;
		GBytes *b = hw_elf_section_data(e, ".go.buildinfo", &local);
		if (b == NULL) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_GO,
				    "%s is not a Go program (no .go.buildinfo section)", e->path);
			g_clear_error(&local);
			return FALSE;
		}
		gsize len;
		const guint8 *d = g_bytes_get_data(b, &len);
		if (len < HEADER || memcmp(d, magic, sizeof magic - 1) != 0) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: .go.buildinfo does not start with the build info magic",
				    e->path);
			return FALSE;
		}
		if (!(d[15] & FLAG_INLINE)) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_UNSUPPORTED,
				    "%s was built by Go older than 1.18 (pointer-style build "
				    "info); heapwalk supports Go 1.22 and later", e->path);
			return FALSE;
		}
		gsize pos = HEADER;
		guint64 vlen, mlen;
		if (!read_uvarint(d, len, &pos, &vlen) || vlen > len - pos) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: .go.buildinfo version string at offset %d overruns the "
				    "section", e->path, HEADER);
			return FALSE;
		}
		g_autofree char *version = g_strndup((const char *)d + pos, vlen);
		pos += vlen;
		gsize mod_at = pos;
		if (!read_uvarint(d, len, &pos, &mlen) || mlen > len - pos) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: .go.buildinfo module info at offset %" G_GSIZE_FORMAT
				    " overruns the section", e->path, mod_at);
			return FALSE;
		}
		/* The module info is framed by two 16-byte sentinels. */
		const guint8 *m = d + pos;
		if (mlen >= 33 && m[mlen - 17] == '\n') {
			m += 16;
			mlen -= 32;
		}
		e->modinfo = g_strndup((const char *)m, mlen);
		e->go_version = g_steal_pointer(&version);
	}
	if (go_version)
		*go_version = e->go_version;
	if (modinfo)
		*modinfo = e->modinfo;
	return TRUE;
}

const char *hw_elf_go_runtime_version(hw_elf *e, GError **err)
{
	if (e->runtime_version)
		return e->runtime_version;
	guint64 addr;
	if (!hw_elf_symbol(e, "runtime.buildVersion", &addr, NULL)) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "%s has no symbol runtime.buildVersion (not Go, or stripped)", e->path);
		return NULL;
	}
	guint8 hdr[16];
	if (!hw_elf_read_vaddr(e, addr, hdr, sizeof hdr, err))
		return NULL;
	guint64 ptr = GUINT64_FROM_LE(*(guint64 *)(void *)hdr);
	guint64 len = GUINT64_FROM_LE(*(guint64 *)(void *)(hdr + 8));
	if (len > 4096) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
			    "%s: runtime.buildVersion has length %" G_GUINT64_FORMAT, e->path, len);
		return NULL;
	}
	g_autofree char *s = g_malloc0(len + 1);
	if (!hw_elf_read_vaddr(e, ptr, s, len, err))
		return NULL;
	e->runtime_version = g_steal_pointer(&s);
	return e->runtime_version;
}

gboolean hw_elf_load_bias(hw_elf *e, guint64 map_start, guint64 map_file_offset,
			  guint64 *bias, GError **err)
{
	const guint64 page = 4096;
	for (guint i = 0; i < e->segments->len; i++) {
		const hw_elf_segment *s = &g_array_index(e->segments, hw_elf_segment, i);
		if ((s->offset & ~(page - 1)) != (map_file_offset & ~(page - 1)))
			continue;
		guint64 b = map_start - (s->vaddr & ~(page - 1));
		if (!hw_elf_is_pie(e) && b != 0) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "the target did not map %s where it says: a non-PIE segment at "
				    "0x%" G_GINT64_MODIFIER "x is mapped at 0x%" G_GINT64_MODIFIER
				    "x (a different build of the executable?)", e->path, s->vaddr,
				    map_start);
			return FALSE;
		}
		*bias = b;
		return TRUE;
	}
	g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
		    "%s has no PT_LOAD at file offset 0x%" G_GINT64_MODIFIER "x, where the target "
		    "mapped it (a different build of the executable?)", e->path, map_file_offset);
	return FALSE;
}
