/* outdir.c - the bounded output directory (see outdir.h).
 *
 * The managed files are kept in a list ordered oldest first (by modification time, then name,
 * for the files found at open; by commit order after that), with their sizes, so trimming
 * never rescans the directory.
 */
#include "watch/outdir.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct managed {
	char *path;
	guint64 bytes;
	gint64 mtime_ns;
} managed;

struct hw_outdir {
	char *dir;
	guint64 max_bytes;
	guint max_dumps;
	guint made;          /* captures named so far */
	GQueue files;        /* of managed*, oldest first */
	guint64 total;
};

static void managed_free(managed *m)
{
	g_free(m->path);
	g_free(m);
}

static gboolean is_managed_name(const char *name)
{
	return name[0] != '.' && (g_str_has_suffix(name, ".hwd") || g_str_has_suffix(name, ".core"));
}

static gint by_age(gconstpointer a, gconstpointer b, gpointer user)
{
	(void)user;
	const managed *x = a, *y = b;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->path, y->path);
}

hw_outdir *hw_outdir_open(const char *dir, guint64 max_bytes, guint max_dumps, GError **error)
{
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create the output directory %s: %s",
		            dir, g_strerror(e));
		return NULL;
	}
	DIR *dh = opendir(dir);
	if (!dh) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot list the output directory %s: %s",
		            dir, g_strerror(e));
		return NULL;
	}
	hw_outdir *d = g_new0(hw_outdir, 1);
	d->dir = g_strdup(dir);
	d->max_bytes = max_bytes;
	d->max_dumps = max_dumps;
	g_queue_init(&d->files);
	struct dirent *e;
	while ((e = readdir(dh))) {
		struct stat st;
		if (!is_managed_name(e->d_name) || fstatat(dirfd(dh), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		managed *m = g_new0(managed, 1);
		m->path = g_build_filename(dir, e->d_name, NULL);
		m->bytes = (guint64)st.st_size;
		m->mtime_ns = (gint64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		d->total += m->bytes;
		g_queue_push_tail(&d->files, m);
	}
	closedir(dh);
	g_queue_sort(&d->files, by_age, NULL);
	return d;
}

void hw_outdir_free(hw_outdir *d)
{
	if (!d)
		return;
	g_queue_clear_full(&d->files, (GDestroyNotify)managed_free);
	g_free(d->dir);
	g_free(d);
}

const char *hw_outdir_dir(const hw_outdir *d)
{
	return d->dir;
}

gboolean hw_outdir_may_capture(const hw_outdir *d)
{
	return d->max_dumps == 0 || d->made < d->max_dumps;
}

char *hw_outdir_next(hw_outdir *d, const char *prefix, pid_t pid, const char *reason, const char *ext)
{
	g_autofree char *clean = g_strdup(prefix && *prefix ? prefix : "process");
	for (char *p = clean; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			*p = '_';
	/* SEQ goes past names already taken (an earlier run, a reused pid): never overwrite. */
	for (guint seq = d->made + 1;; seq++) {
		g_autofree char *name = g_strdup_printf("%s-%d-%03u-%s.%s", clean, (int)pid, seq, reason, ext);
		char *path = g_build_filename(d->dir, name, NULL);
		if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
			d->made++;
			return path;
		}
		g_free(path);
	}
}

gboolean hw_outdir_commit(hw_outdir *d, const char *path, GPtrArray *removed)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return FALSE;
	managed *m = g_new0(managed, 1);
	m->path = g_strdup(path);
	m->bytes = (guint64)st.st_size;
	d->total += m->bytes;
	g_queue_push_tail(&d->files, m);
	while (d->max_bytes && d->total > d->max_bytes && d->files.length > 0) {
		/* Oldest first; m, the tail, is reached only when it alone is too large. */
		managed *old = g_queue_pop_head(&d->files);
		d->total -= old->bytes;
		if (unlink(old->path) == 0 || errno == ENOENT) {
			if (removed)
				g_ptr_array_add(removed, g_strdup(old->path));
		}
		gboolean was_new = old == m;
		managed_free(old);
		if (was_new)
			return FALSE;
	}
	return TRUE;
}

guint64 hw_outdir_bytes(const hw_outdir *d)
{
	return d->total;
}
