/* procfollow.c - following a process's descendants through /proc (see procfollow.h).
 *
 * Two sets: `followed` (root and descendants alive at the last update) and `seen` (every pid
 * of the last listing, descendant or not), so that a pid is read once, when it appears.
 * A pid reused between two listings by an unrelated process keeps its first classification;
 * with pid_max in the millions and intervals of a fraction of a second this does not happen
 * in practice, and the damage would be one process watched or missed.
 */
#include "watch/procfollow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hw_procfollow {
	pid_t root;
	char *proc;
	GHashTable *followed;   /* pid -> pid (GINT_TO_POINTER) */
	GHashTable *seen;       /* pid -> parent pid + 1 (0 = unreadable), last listing */
};

hw_procfollow *hw_procfollow_new(pid_t root, const char *proc)
{
	hw_procfollow *f = g_new0(hw_procfollow, 1);
	f->root = root;
	f->proc = g_strdup(proc);
	f->followed = g_hash_table_new(g_direct_hash, g_direct_equal);
	f->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	return f;
}

void hw_procfollow_free(hw_procfollow *f)
{
	if (!f)
		return;
	g_hash_table_destroy(f->followed);
	g_hash_table_destroy(f->seen);
	g_free(f->proc);
	g_free(f);
}

gboolean hw_procfollow_parse_ppid(const char *stat, pid_t *ppid)
{
	const char *close = strrchr(stat, ')');
	char *end;
	if (!close || close[1] != ' ' || !close[2] || close[3] != ' ')
		return FALSE;
	errno = 0;
	long v = strtol(close + 4, &end, 10);
	if (errno || end == close + 4 || v < 0 || v > G_MAXINT32)
		return FALSE;
	*ppid = (pid_t)v;
	return TRUE;
}

/* The parent of pid, or -1 when it cannot be read (the process is already gone). */
static pid_t read_ppid(const hw_procfollow *f, pid_t pid)
{
	char path[256], buf[1024];
	pid_t ppid;
	g_snprintf(path, sizeof path, "%s/%d/stat", f->proc, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return hw_procfollow_parse_ppid(buf, &ppid) ? ppid : -1;
}

void hw_procfollow_update(hw_procfollow *f, GArray *born, GArray *gone)
{
	g_autoptr(GHashTable) now = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GArray) fresh = g_array_new(FALSE, FALSE, sizeof(pid_t));
	DIR *d = opendir(f->proc);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char *end;
			long v = strtol(e->d_name, &end, 10);
			if (*end || v <= 0 || v > G_MAXINT32)
				continue;
			gpointer key = GINT_TO_POINTER((int)v), parent;
			if (g_hash_table_lookup_extended(f->seen, key, NULL, &parent)) {
				g_hash_table_insert(now, key, parent);
			} else {
				pid_t pp = read_ppid(f, (pid_t)v);
				g_hash_table_insert(now, key, GINT_TO_POINTER(pp + 1));
				pid_t pid = (pid_t)v;
				g_array_append_val(fresh, pid);
			}
		}
		closedir(d);
	}

	/* The followed that left the listing are gone. */
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, f->followed);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!g_hash_table_contains(now, key)) {
			if (gone) {
				pid_t pid = GPOINTER_TO_INT(key);
				g_array_append_val(gone, pid);
			}
			g_hash_table_iter_remove(&it);
		}
	}

	/* New processes whose parent is followed, to a fixed point. */
	gboolean grew = TRUE;
	while (grew) {
		grew = FALSE;
		for (guint i = 0; i < fresh->len; i++) {
			pid_t pid = g_array_index(fresh, pid_t, i);
			pid_t pp = GPOINTER_TO_INT(g_hash_table_lookup(now, GINT_TO_POINTER(pid))) - 1;
			if (pid == 0 || g_hash_table_contains(f->followed, GINT_TO_POINTER(pid)))
				continue;
			if (pid == f->root || (pp > 0 && g_hash_table_contains(f->followed, GINT_TO_POINTER(pp)))) {
				g_hash_table_insert(f->followed, GINT_TO_POINTER(pid), GINT_TO_POINTER(pid));
				if (born)
					g_array_append_val(born, pid);
				g_array_index(fresh, pid_t, i) = 0;
				grew = TRUE;
			}
		}
	}
	GHashTable *old = f->seen;   /* freed by now's cleanup */
	f->seen = now;
	now = old;
}

gboolean hw_procfollow_has(const hw_procfollow *f, pid_t pid)
{
	return g_hash_table_contains(f->followed, GINT_TO_POINTER(pid));
}
