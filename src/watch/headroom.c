/* headroom.c - the capture-fits-under-the-shared-limit rule (see headroom.h).
 *
 * The cost estimate. A capture's memory is the staging arena (capture.c heap_copy_prepare:
 * the heap's pointer-bearing and small noscan spans, plus an eighth, plus 32 MiB) and the
 * walk's working memory. The Go heap is anonymous memory, so the process's RssAnon bounds
 * the spans copied from above; the walk's memory, measured in the VM test of
 * docs/capture-systemd.md, was about another eighth of the heap (heapwalk's peak: 196 MiB for
 * a 131.7 MiB heap of pointers; anon + anon/4 + 32 MiB gives 196.6). The Go runtime's own
 * numbers (which spans hold pointers) would be closer for pointer-free heaps (39 MiB
 * measured for a 208 MiB heap of []byte, against 292 MiB estimated), but reading them means
 * loading the binary's DWARF and reading the runtime's structures every interval, the
 * capture's own work; RssAnon is one small read of /proc/PID/status. Over-estimating only
 * captures earlier than needed, never too late.
 *
 * The process does not wait: between the decision and its stop it keeps allocating (a
 * test service at 32 MiB/s grew 50 MiB during one capture), and heapwalk then copies that
 * too. So the cost counts the growth over HW_HEADROOM_LEAD_S twice over: in the process,
 * and in the heap heapwalk copies.
 */
#include "watch/headroom.h"

#include <string.h>

#define ARENA_SLACK (G_GUINT64_CONSTANT(32) << 20)

guint64 hw_headroom_capture_cost(guint64 anon, guint64 growth)
{
	guint64 more = growth * HW_HEADROOM_LEAD_S, heap = anon + more;
	return more + heap + heap / 8 /* the arena's margin */ + heap / 8 /* the walk */ + ARENA_SLACK;
}

gboolean hw_headroom_shared(const hw_cgroup_mem *self, hw_cgroup_version v, const char *dir)
{
	if (self->version != v || v == HW_CGROUP_NONE || !self->dir || !dir)
		return FALSE;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(self->dir, dir, n) == 0 && (self->dir[n] == '\0' || self->dir[n] == '/');
}

hw_trigger hw_headroom_decide(guint64 usage, guint64 limit, double at, guint64 cost)
{
	g_assert(limit > 0);
	if ((double)usage >= at * (double)limit)
		return HW_TRIGGER_AT;
	if (cost && usage + cost >= limit)
		return HW_TRIGGER_ROOM;
	return HW_TRIGGER_NONE;
}

gboolean hw_headroom_read(const char *proc, pid_t pid, const hw_cgroup_mem *cg, const hw_cgroup_mem *self,
                          double at, guint64 growth, hw_cgroup_reading *r, guint64 *cost, hw_trigger *trigger)
{
	guint64 anon;
	*cost = 0;
	*trigger = HW_TRIGGER_NONE;
	if (cg->version == HW_CGROUP_NONE || !hw_cgroup_mem_read(cg, r))
		return FALSE;
	if (!r->limit) {
		g_clear_pointer(&r->dir, g_free);
		return FALSE;
	}
	if (hw_headroom_shared(self, cg->version, r->dir) && hw_memwatch_anon(proc, pid, &anon))
		*cost = hw_headroom_capture_cost(anon, growth);
	*trigger = hw_headroom_decide(r->usage, r->limit, at, *cost);
	return TRUE;
}
