/* procmem.c - live process memory: process_vm_readv, or pread on /proc/PID/mem (read-only).
 *
 * process_vm_readv may stop short at the first unreadable page; we continue from there, and a
 * read that makes no progress is reported as unmapped with the address it stopped at. Bulk
 * copies of many ranges (the heap's pointer-bearing spans, during the pause) go in batches of
 * IOV_MAX remote ranges per call: one call per span would spend the pause on system calls.
 */
#include "target/procmem.h"
#include "target/memsrc-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct {
	hw_memsrc base;
	pid_t pid;
	int mem_fd;               /* /proc/PID/mem O_RDONLY, opened on first fallback; -1 */
	gboolean use_pread;       /* process_vm_readv is unavailable */
} procmem;

static gssize read_some(procmem *p, guint64 addr, void *buf, gsize len, int *err_no)
{
	if (!p->use_pread) {
		struct iovec local = { .iov_base = buf, .iov_len = len };
		struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
		gssize n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
		if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
			*err_no = errno;
			return n;
		}
		p->use_pread = TRUE;
	}
	if (p->mem_fd < 0) {
		char path[64];
		g_snprintf(path, sizeof path, "/proc/%d/mem", (int)p->pid);
		p->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->mem_fd < 0) {
			*err_no = errno;
			return -1;
		}
	}
	gssize n = pread(p->mem_fd, buf, len, (off_t)addr);
	*err_no = errno;
	return n;
}

static gboolean procmem_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	procmem *p = (procmem *)m;
	gsize done = 0;

	while (done < len) {
		int e = 0;
		gssize n = read_some(p, addr + done, (guint8 *)buf + done, len - done, &e);
		if (n > 0) {
			done += (gsize)n;
			continue;
		}
		if (n == 0 || e == EFAULT || e == EIO || e == EINVAL) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNMAPPED,
				    "%s: cannot read %" G_GSIZE_FORMAT " bytes at 0x%"
				    G_GINT64_MODIFIER "x: 0x%" G_GINT64_MODIFIER "x is not readable",
				    m->description, len, addr, addr + done);
		} else if (e == ESRCH || e == ENOENT) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS,
				    "%s: the process exited while reading %" G_GSIZE_FORMAT
				    " bytes at 0x%" G_GINT64_MODIFIER "x", m->description, len, addr);
		} else if (e == EPERM || e == EACCES) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_PERMISSION,
				    "%s: not allowed to read its memory (%s); run as root or as "
				    "the process's user", m->description, g_strerror(e));
		} else {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
				    "%s: reading %" G_GSIZE_FORMAT " bytes at 0x%" G_GINT64_MODIFIER
				    "x failed: %s", m->description, len, addr, g_strerror(e));
		}
		return FALSE;
	}
	return TRUE;
}

gboolean hw_procmem_parse_maps(const char *text, GArray *out, GStringChunk *names, GError **err)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		unsigned long long start, end, off, inode;
		char perms[8];
		unsigned dev_major, dev_minor;
		int name_at = 0;

		if (*line == '\0')
			continue;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off,
			   &dev_major, &dev_minor, &inode, &name_at) < 7 || start > end ||
		    strlen(perms) < 4) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT,
				    "maps line %u does not parse: \"%s\"", i + 1, line);
			return FALSE;
		}
		hw_region r = {
			.start = start,
			.end = end,
			.perms = (perms[0] == 'r' ? HW_PERM_R : 0) | (perms[1] == 'w' ? HW_PERM_W : 0) |
				 (perms[2] == 'x' ? HW_PERM_X : 0) | (perms[3] == 's' ? HW_PERM_SHARED : 0),
			.file_offset = inode ? off : 0,
			.name = g_string_chunk_insert_const(names, name_at ? line + name_at : ""),
		};
		g_array_append_val(out, r);
	}
	return TRUE;
}

static gboolean procmem_load_regions(hw_memsrc *m, GArray *out, GError **err)
{
	procmem *p = (procmem *)m;
	char path[64];
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;

	g_snprintf(path, sizeof path, "/proc/%d/maps", (int)p->pid);
	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS, "%s: %s",
			    m->description, local->message);
		return FALSE;
	}
	return hw_procmem_parse_maps(text, out, m->names, err);
}

static void procmem_finalize(hw_memsrc *m)
{
	procmem *p = (procmem *)m;
	if (p->mem_fd >= 0)
		close(p->mem_fd);
}

static const hw_memsrc_class procmem_class = {
	.kind = "process",
	.read = procmem_read,
	.load_regions = procmem_load_regions,
	.finalize = procmem_finalize,
	.volatile_regions = TRUE,
};

hw_memsrc *hw_procmem_new(pid_t pid, GError **err)
{
	char path[64];
	g_snprintf(path, sizeof path, "/proc/%d", (int)pid);
	if (pid <= 0 || access(path, F_OK) != 0) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS,
			    "no process with pid %d", (int)pid);
		return NULL;
	}
	procmem *p = g_new0(procmem, 1);
	hw_memsrc_init(&p->base, &procmem_class, g_strdup_printf("process %d", (int)pid));
	p->pid = pid;
	p->mem_fd = -1;
	return &p->base;
}

/* Bytes one batch may ask for: the kernel caps a call's total below 2 GiB anyway. */
#define BATCH_BYTES (1ull << 30)

gboolean hw_procmem_read_ranges(hw_memsrc *m, const hw_procmem_range *ranges, gsize n, guint8 *dst,
				guint64 *calls, GError **err)
{
	g_return_val_if_fail(m->klass == &procmem_class, FALSE);
	procmem *p = (procmem *)m;
	struct iovec remote[IOV_MAX];
	guint64 ncalls = 0;
	gsize i = 0;
	gboolean ok = TRUE;
	while (i < n && ok) {
		/* The next batch: ranges [i, j), total bytes. */
		gsize j = i;
		guint64 total = 0;
		while (j < n && j - i < IOV_MAX && (j == i || total + ranges[j].len <= BATCH_BYTES)) {
			remote[j - i] = (struct iovec){ (void *)(uintptr_t)ranges[j].addr, ranges[j].len };
			total += ranges[j].len;
			j++;
		}
		gssize got = -1;
		if (!p->use_pread) {
			struct iovec local = { .iov_base = dst, .iov_len = total };
			got = process_vm_readv(p->pid, &local, 1, remote, j - i, 0);
			ncalls++;
			if (got < 0 && (errno == ENOSYS || errno == EPERM))
				p->use_pread = TRUE;
		}
		/* Skip the ranges the batch delivered whole; the rest of the first one it did not (all
		 * of it, when the call failed or is unavailable) is read on its own, which names the
		 * address that stopped it. */
		guint64 done = got > 0 ? (guint64)got : 0;
		for (; i < j && done >= ranges[i].len; i++) {
			done -= ranges[i].len;
			dst += ranges[i].len;
		}
		if (i < j) {
			ok = procmem_read(m, ranges[i].addr + done, dst + done, ranges[i].len - done, err);
			ncalls++;
			dst += ranges[i].len;
			i++;
		}
	}
	if (calls)
		*calls = ncalls;
	return ok;
}
