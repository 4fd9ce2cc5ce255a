/* gocheck.c - is an executable a Go program (see gocheck.h).
 *
 * The build information section starts with a 16-byte header: the magic "\xff Go buildinf:",
 * the pointer size and a flags byte. With flag bit 2 (Go >= 1.18) two varint-length strings
 * follow at offset 32, the Go version and the module information; the latter is the text
 * `go version -m` prints (between two 16-byte sentinels), whose line "path\t<main package>" is the one read here.
 */
#include "watch/gocheck.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_INLINE 0x2
/* The module information is framed by 16 random-looking bytes at each end. */
#define MODINFO_SENTINEL 16
/* Enough for the header, the version and the module information of any real program. */
#define BUILDINFO_MAX (1u << 20)

/* Reads a varint at *p (advancing it) without passing end; FALSE if it does not fit. */
static gboolean read_uvarint(const guint8 **p, const guint8 *end, guint64 *out)
{
	guint64 v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		guint8 b = *(*p)++;
		v |= (guint64)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return TRUE;
		}
	}
	return FALSE;
}

/* The main package path from the module information text, or NULL. */
static char *modinfo_main_path(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if (eol - p > 5 && memcmp(p, "path\t", 5) == 0)
			return g_strndup(p + 5, (gsize)(eol - p - 5));
		p = eol + 1;
	}
	return NULL;
}

static char *buildinfo_main_path(const guint8 *d, size_t n)
{
	if (n < 32 || memcmp(d, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN) != 0 || !(d[15] & BUILDINFO_INLINE))
		return NULL;
	const guint8 *p = d + 32, *end = d + n;
	guint64 len;
	if (!read_uvarint(&p, end, &len) || len > (guint64)(end - p))
		return NULL;
	p += len;   /* the Go version */
	if (!read_uvarint(&p, end, &len) || len > (guint64)(end - p) || len < 2 * MODINFO_SENTINEL)
		return NULL;
	return modinfo_main_path((const char *)p + MODINFO_SENTINEL, (size_t)len - 2 * MODINFO_SENTINEL);
}

gboolean hw_gocheck_exe(const char *path, char **main_path)
{
	gboolean found = FALSE;
	if (main_path)
		*main_path = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return FALSE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx;
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
			GElf_Shdr sh;
			const char *name;
			if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
			    strcmp(name, ".go.buildinfo") != 0)
				continue;
			found = TRUE;
			if (main_path && sh.sh_type != SHT_NOBITS) {
				size_t n = MIN(sh.sh_size, (GElf_Xword)BUILDINFO_MAX);
				guint8 *buf = g_malloc(n ? n : 1);
				if (pread(fd, buf, n, (off_t)sh.sh_offset) == (ssize_t)n)
					*main_path = buildinfo_main_path(buf, n);
				g_free(buf);
			}
			break;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

gboolean hw_gocheck_pid(pid_t pid, char **main_path)
{
	char path[64];
	g_snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	return hw_gocheck_exe(path, main_path);
}

gboolean hw_gocheck_is_toolchain(const char *main_path)
{
	return main_path && g_str_has_prefix(main_path, "cmd/");
}
