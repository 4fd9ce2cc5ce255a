/* corehandler.c - core from stdin to snapshot (see corehandler.h). */
#include "watch/corehandler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "watch/outdir.h"

#define COPY_BLOCK (1u << 20)

static gboolean all_zero(const guint8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return FALSE;
	return TRUE;
}

static gboolean io_error(GError **error, int e, const char *what, const char *path)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s %s failed: %s%s", what, path,
	            e == ENOSPC || e == EDQUOT ? "the disk is full: " : "", g_strerror(e));
	return FALSE;
}

/* Reads fd to its end, dropping the data: the kernel must never wait on us. */
static void drain(int fd, guint8 *buf)
{
	ssize_t n;
	while ((n = read(fd, buf, COPY_BLOCK)) > 0 || (n < 0 && errno == EINTR))
		;
}

/* Copies fd into the new file `out` (sparse where the core has zero blocks). */
static gboolean copy_core(int fd, int out, const char *path, GError **error)
{
	g_autofree guint8 *buf = g_malloc(COPY_BLOCK);
	off_t size = 0;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_error(error, errno, "reading the core for", path);
		if (n == 0)
			break;
		if (all_zero(buf, (size_t)n)) {
			size += n;
			continue;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t k = pwrite(out, buf + done, (size_t)(n - done), size + done);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				int e = errno;
				drain(fd, buf);
				return io_error(error, e, "writing", path);
			}
			done += k;
		}
		size += n;
	}
	if (ftruncate(out, size) != 0 || fsync(out) != 0)
		return io_error(error, errno, "writing", path);
	return TRUE;
}

gboolean hw_corehandler_run(const hw_corehandler_options *opt, char **snapshot, char **core_kept, GError **error)
{
	*snapshot = NULL;
	*core_kept = NULL;
	if (opt->timeout_s)
		alarm(opt->timeout_s);   /* default action: end the handler, whatever it is doing */

	char exe_path[64];
	int exe_fd = -1;
	if (!opt->exe) {
		g_snprintf(exe_path, sizeof exe_path, "/proc/%d/exe", (int)opt->pid);
		exe_fd = open(exe_path, O_RDONLY | O_CLOEXEC);
		if (exe_fd >= 0)
			g_snprintf(exe_path, sizeof exe_path, "/proc/self/fd/%d", exe_fd);
	}
	const char *exe = opt->exe ? opt->exe : exe_fd >= 0 ? exe_path : NULL;

	g_autoptr(hw_outdir) out = hw_outdir_open(opt->dir, opt->max_bytes, 0, error);
	if (!out) {
		g_autofree guint8 *buf = g_malloc(COPY_BLOCK);
		drain(opt->core_fd, buf);
		if (exe_fd >= 0)
			close(exe_fd);
		return FALSE;
	}
	g_autofree char *tmp = g_strdup_printf("%s/.core-%d-XXXXXX", opt->dir, (int)opt->pid);
	int cfd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	gboolean ok;
	if (cfd < 0) {
		int e = errno;
		g_autofree guint8 *buf = g_malloc(COPY_BLOCK);
		drain(opt->core_fd, buf);
		ok = io_error(error, e, "creating", tmp);
	} else {
		ok = copy_core(opt->core_fd, cfd, tmp, error);
		close(cfd);
	}
	if (!ok) {
		if (cfd >= 0)
			unlink(tmp);
		if (exe_fd >= 0)
			close(exe_fd);
		return FALSE;
	}

	/* The crashed process is free to go now; the rest takes the time it takes. */
	g_autofree char *snap = hw_outdir_next(out, opt->comm, opt->pid, "core", "hwd");
	hw_capture_options copt = { .core = tmp, .exe = exe, .output = snap };
	hw_capture_result res;
	ok = hw_capture_run(&copt, &res, error);
	g_free(res.warning);
	if (exe_fd >= 0)
		close(exe_fd);
	if (ok && !hw_outdir_commit(out, snap, NULL)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "the snapshot of %d alone exceeds --max-bytes",
		            (int)opt->pid);
		ok = FALSE;
	} else if (ok) {
		*snapshot = g_steal_pointer(&snap);
	}
	if (opt->keep_core) {
		g_autofree char *kept = hw_outdir_next(out, opt->comm, opt->pid, "core", "core");
		if (rename(tmp, kept) == 0) {
			if (hw_outdir_commit(out, kept, NULL))
				*core_kept = g_steal_pointer(&kept);
			return ok;
		}
	}
	unlink(tmp);
	return ok;
}
