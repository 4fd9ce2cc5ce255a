/* memwatch.c - memory meters: RSS, MemTotal and the cgroup v1/v2 limits (see memwatch.h).
 *
 * Unlimited is spelled "max" in v2 and as a huge page-rounded number in v1
 * (9223372036854771712 on x86-64): any value at or above 2^62 counts as no limit.
 */
#include "watch/memwatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNLIMITED_FROM (G_GUINT64_CONSTANT(1) << 62)

/* Reads a small file into buf (NUL-terminated); FALSE when it cannot be read. */
static gboolean read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return FALSE;
	size_t n = fread(buf, 1, size - 1, f);
	gboolean ok = !ferror(f);
	fclose(f);
	buf[n] = '\0';
	return ok && n > 0;
}

/* A cgroup value file: a number, or "max". *v = 0 for unlimited. */
static gboolean read_value(const char *dir, const char *name, guint64 *v)
{
	char path[PATH_MAX], buf[64], *end;
	g_snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!read_small(path, buf, sizeof buf))
		return FALSE;
	g_strstrip(buf);
	if (strcmp(buf, "max") == 0) {
		*v = 0;
		return TRUE;
	}
	errno = 0;
	guint64 x = g_ascii_strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		return FALSE;
	*v = x >= UNLIMITED_FROM ? 0 : x;
	return TRUE;
}

gboolean hw_memwatch_rss(const char *proc, pid_t pid, guint64 *bytes)
{
	char path[PATH_MAX], buf[256];
	unsigned long long size, resident;
	g_snprintf(path, sizeof path, "%s/%d/statm", proc, (int)pid);
	if (!read_small(path, buf, sizeof buf) || sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return FALSE;
	*bytes = (guint64)resident * (guint64)sysconf(_SC_PAGESIZE);
	return TRUE;
}

gboolean hw_memwatch_anon(const char *proc, pid_t pid, guint64 *bytes)
{
	char path[PATH_MAX], buf[4096];
	unsigned long long kb;
	g_snprintf(path, sizeof path, "%s/%d/status", proc, (int)pid);
	if (!read_small(path, buf, sizeof buf))
		return FALSE;
	const char *p = strstr(buf, "\nRssAnon:");
	if (!p || sscanf(p, "\nRssAnon: %llu kB", &kb) != 1)
		return FALSE;
	*bytes = (guint64)kb * 1024;
	return TRUE;
}

guint64 hw_memwatch_mem_total(const char *proc)
{
	char path[PATH_MAX], buf[4096];
	unsigned long long kb;
	g_snprintf(path, sizeof path, "%s/meminfo", proc);
	if (!read_small(path, buf, sizeof buf))
		return 0;
	const char *p = strstr(buf, "MemTotal:");
	return p && sscanf(p, "MemTotal: %llu kB", &kb) == 1 ? (guint64)kb * 1024 : 0;
}

void hw_cgroup_mem_clear(hw_cgroup_mem *cg)
{
	g_clear_pointer(&cg->dir, g_free);
	g_clear_pointer(&cg->top, g_free);
	cg->version = HW_CGROUP_NONE;
}

/* A cgroup mount from mountinfo: its root within the hierarchy and its mount point. */
typedef struct mount {
	char *root, *point;
} mount;

/* Finds the cgroup2 mount (v1 = FALSE) or the v1 mount carrying the memory controller. */
static gboolean find_mount(const char *proc, gboolean v1, mount *m)
{
	char path[PATH_MAX];
	g_autofree char *text = NULL;
	g_snprintf(path, sizeof path, "%s/self/mountinfo", proc);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return FALSE;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		/* id parent dev root point options [optional...] - fstype source superoptions */
		g_auto(GStrv) f = g_strsplit(*l, " ", -1);
		guint n = g_strv_length(f), dash = 0;
		for (guint i = 6; i < n; i++)
			if (strcmp(f[i], "-") == 0) {
				dash = i;
				break;
			}
		if (!dash || dash + 1 >= n)
			continue;
		const char *fstype = f[dash + 1], *super = dash + 3 < n ? f[dash + 3] : "";
		gboolean match = FALSE;
		if (!v1) {
			match = strcmp(fstype, "cgroup2") == 0;
		} else if (strcmp(fstype, "cgroup") == 0) {
			g_auto(GStrv) opts = g_strsplit(super, ",", -1);
			match = g_strv_contains((const char *const *)opts, "memory");
		}
		if (match) {
			/* mountinfo escapes spaces and the like as \040; cgroup paths rarely have any. */
			m->root = g_strcompress(f[3]);
			m->point = g_strcompress(f[4]);
			return TRUE;
		}
	}
	return FALSE;
}

/* The directory of cgroup `cgpath` (as /proc/PID/cgroup gives it) under mount m, or NULL
 * when the cgroup is outside what m shows. */
static char *cgroup_dir(const mount *m, const char *cgpath)
{
	const char *rel = cgpath;
	if (strcmp(m->root, "/") != 0) {
		size_t rl = strlen(m->root);
		if (strncmp(cgpath, m->root, rl) != 0 || (cgpath[rl] != '/' && cgpath[rl] != '\0'))
			return NULL;
		rel = cgpath + rl;
	}
	return g_strconcat(m->point, rel, NULL);
}

/* Finds the memory cgroup of PROC/WHO/cgroup (WHO: a pid or "self"). */
static gboolean find_cgroup(const char *proc, const char *who, hw_cgroup_mem *out)
{
	char path[PATH_MAX];
	g_autofree char *text = NULL;
	memset(out, 0, sizeof *out);
	g_snprintf(path, sizeof path, "%s/%s/cgroup", proc, who);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return FALSE;
	g_autofree char *v2path = NULL, *v1path = NULL;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		/* hierarchy-id:controllers:path; v2 is "0::path" */
		char *c1 = strchr(*l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		if (strncmp(*l, "0::", 3) == 0) {
			g_free(v2path);
			v2path = g_strdup(c2 + 1);
		} else {
			g_autofree char *ctl = g_strndup(c1 + 1, (gsize)(c2 - c1 - 1));
			g_auto(GStrv) names = g_strsplit(ctl, ",", -1);
			if (g_strv_contains((const char *const *)names, "memory")) {
				g_free(v1path);
				v1path = g_strdup(c2 + 1);
			}
		}
	}
	mount m = { 0 };
	if (v2path && find_mount(proc, FALSE, &m)) {
		char *dir = cgroup_dir(&m, v2path);
		g_autofree char *probe = dir ? g_strconcat(dir, "/memory.current", NULL) : NULL;
		if (probe && access(probe, R_OK) == 0) {
			*out = (hw_cgroup_mem){ HW_CGROUP_V2, dir, g_strdup(m.point) };
			g_free(m.root);
			g_free(m.point);
			return TRUE;
		}
		g_free(dir);
		g_free(m.root);
		g_free(m.point);
		m = (mount){ 0 };
	}
	if (v1path && find_mount(proc, TRUE, &m)) {
		char *dir = cgroup_dir(&m, v1path);
		if (dir)
			*out = (hw_cgroup_mem){ HW_CGROUP_V1, dir, g_strdup(m.point) };
		g_free(m.root);
		g_free(m.point);
		return dir != NULL;
	}
	return FALSE;
}

gboolean hw_cgroup_mem_find(const char *proc, pid_t pid, hw_cgroup_mem *out)
{
	char who[32];
	g_snprintf(who, sizeof who, "%d", (int)pid);
	return find_cgroup(proc, who, out);
}

gboolean hw_cgroup_mem_find_self(const char *proc, hw_cgroup_mem *out)
{
	return find_cgroup(proc, "self", out);
}

gboolean hw_cgroup_mem_read(const hw_cgroup_mem *cg, hw_cgroup_reading *out)
{
	static const char *const v2_limits[] = { "memory.max", "memory.high" };
	static const char *const v1_limits[] = { "memory.limit_in_bytes", "memory.soft_limit_in_bytes" };
	const char *usage_name = cg->version == HW_CGROUP_V2 ? "memory.current" : "memory.usage_in_bytes";
	const char *const *limits = cg->version == HW_CGROUP_V2 ? v2_limits : v1_limits;
	double best = -1.0;
	memset(out, 0, sizeof *out);
	if (cg->version == HW_CGROUP_NONE)
		return FALSE;

	g_autofree char *dir = g_strdup(cg->dir);
	for (gboolean first = TRUE;; first = FALSE) {
		guint64 usage;
		if (!read_value(dir, usage_name, &usage)) {
			if (first)
				return FALSE;
			break;   /* the root of a v2 hierarchy has no memory.current */
		}
		if (first) {
			out->usage = usage;
			out->dir = g_strdup(dir);
		}
		for (int i = 0; i < 2; i++) {
			guint64 lim;
			if (read_value(dir, limits[i], &lim) && lim > 0 && (double)usage / (double)lim > best) {
				best = (double)usage / (double)lim;
				out->usage = usage;
				out->limit = lim;
				out->limit_name = limits[i];
				g_free(out->dir);
				out->dir = g_strdup(dir);
			}
		}
		if (strcmp(dir, cg->top) == 0 || strlen(dir) <= strlen(cg->top))
			break;
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return TRUE;
}
