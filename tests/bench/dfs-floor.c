/* dfs-floor.c - the floor under any depth-first search of a snapshot's graph on this machine.
 *
 * Not a test, and not heapwalk's search: it copies a snapshot's strong edge targets into the
 * most compact layout a search could use (a first-edge index and 4 bytes per edge, in
 * anonymous memory with huge pages; the copy of the targets alone, 12 bytes per object at 3
 * edges per object, on top of the 20 the dominator computation holds, is over the 24-byte
 * budget) and times a plain iterative DFS from the roots over it, with huge pages and again with
 * 4 KiB pages. Its time is what two dependent memory reads per vertex cost here, which no
 * layout within the budget can beat; docs/performance.md ("Against the targets") uses it.
 *
 * Usage: dfs-floor SNAPSHOT
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "graph.h"
#include "hwd.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *map_array(size_t bytes, int huge)
{
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

/* Iterative DFS over (first, to) from the roots; returns the number of vertices reached. */
static uint32_t dfs(const uint32_t *first, const uint32_t *to, const hw_graph *g, uint32_t *stack, uint32_t *cursor,
                    uint64_t *seen)
{
	uint32_t reached = 0;
	for (uint32_t r = 0; r < hw_graph_n_root_targets(g); r++) {
		uint32_t t = hw_graph_root_target(g, r);
		if (seen[t >> 6] >> (t & 63) & 1)
			continue;
		seen[t >> 6] |= (uint64_t)1 << (t & 63);
		reached++;
		int64_t sp = 0;
		stack[0] = t;
		cursor[0] = first[t];
		while (sp >= 0) {
			uint32_t v = stack[sp], e = cursor[sp], end = first[v + 1], next = UINT32_MAX;
			for (; e < end; e++) {
				uint32_t w = to[e];
				__builtin_prefetch(&first[w]);
				if (!(seen[w >> 6] >> (w & 63) & 1)) {
					next = w;
					e++;
					break;
				}
			}
			cursor[sp] = e;
			if (next == UINT32_MAX) {
				sp--;
				continue;
			}
			seen[next >> 6] |= (uint64_t)1 << (next & 63);
			reached++;
			stack[++sp] = next;
			cursor[sp] = first[next];
			__builtin_prefetch(&to[first[next]]);
		}
	}
	return reached;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dfs-floor SNAPSHOT\n");
		return 2;
	}
	hwd_reader *r;
	hwd_error herr;
	if (hwd_reader_open(argv[1], 0, &r, &herr)) {
		fprintf(stderr, "dfs-floor: %s\n", herr.message);
		return 1;
	}
	GError *err = NULL;
	hw_graph *g = hw_graph_load(r, NULL, NULL, &err);
	if (!g) {
		fprintf(stderr, "dfs-floor: %s\n", err->message);
		return 1;
	}
	uint32_t n = hw_graph_n_objects(g);
	uint64_t ne = hw_graph_n_edges(g);
	for (int huge = 1; huge >= 0; huge--) {
		uint32_t *first = map_array(sizeof(uint32_t) * ((size_t)n + 1), huge);
		uint32_t *to = map_array(sizeof(uint32_t) * ne, huge);
		uint32_t *stack = map_array(sizeof(uint32_t) * ((size_t)n + 1), huge);
		uint32_t *cursor = map_array(sizeof(uint32_t) * ((size_t)n + 1), huge);
		uint64_t *seen = g_new0(uint64_t, (size_t)n / 64 + 1);
		uint64_t k = 0;
		for (uint32_t v = 0; v < n; v++) {
			uint64_t e, end;
			first[v] = (uint32_t)k;
			hw_graph_out_edges(g, v, &e, &end);
			for (; e < end; e++) {
				hwd_edge ed = hw_graph_edge(g, e);
				if (hw_edge_is_strong(&ed))
					to[k++] = ed.to;
			}
		}
		first[n] = (uint32_t)k;
		memset(stack, 0, sizeof(uint32_t) * ((size_t)n + 1));   /* faulted in before timing */
		memset(cursor, 0, sizeof(uint32_t) * ((size_t)n + 1));
		double t = now();
		uint32_t reached = dfs(first, to, g, stack, cursor, seen);
		printf("%s pages: DFS reached %u of %u objects over %" G_GUINT64_FORMAT " edges in %.3f s\n",
		       huge ? "2 MiB" : "4 KiB", reached, n, k, now() - t);
		g_free(seen);
		munmap(first, sizeof(uint32_t) * ((size_t)n + 1));
		munmap(to, sizeof(uint32_t) * ne);
		munmap(stack, sizeof(uint32_t) * ((size_t)n + 1));
		munmap(cursor, sizeof(uint32_t) * ((size_t)n + 1));
	}
	hw_graph_free(g);
	hwd_reader_close(r);
	return 0;
}
