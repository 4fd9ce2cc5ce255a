/* layout-table-gen.c - records the Go runtime layouts the dumper reads, from a binary's DWARF.
 *
 * Generates src/goruntime/layout-table.c, the table that lets heapwalk dump binaries without
 * DWARF (layout.h). For each executable given (built by one Go toolchain, with DWARF) it
 * loads the DWARF, starts recording (dwarfinfo.h, "Facts") and runs the dumper's own layout
 * loaders over it: gr_layout_load, hw_moduledata_read, gr_memacct_read and
 * gr_allocsites_read, the last three over an empty memory, so that they do every lookup and
 * then fail at their first read. What they asked and DWARF answered is the release's entry.
 * scripts/gen-layout-table.sh builds the executables with each toolchain and runs this.
 *
 *   layout-table-gen EXE...        print layout-table.c with one entry per EXE (one per release)
 *   layout-table-gen --check EXE   compare EXE's record with the compiled-in entry of its
 *                                  release; exit 1 and list the differences if they differ
 */
#include <stdio.h>
#include <string.h>

#include "debuginfo/moduledata.h"
#include "goruntime/allocsites.h"
#include "goruntime/memaccount.h"
#include "goruntime/walk.h"
#include "target/memimage.h"

static gboolean no_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx, (void)addr, (void)buf, (void)len;
	return FALSE;
}

typedef struct recorded {
	hw_elf *elf;
	hw_dwarf *dwarf;
	char release[32];
	char version[64];
} recorded;

/* A loader that failed for a reason other than the missing memory (a lookup): the dumper
 * would fail the same way on this binary, so there is nothing right to record. */
static gboolean fail(const char *path, const char *what, const char *why)
{
	fprintf(stderr, "layout-table-gen: %s: %s: %s\n", path, what, why);
	return FALSE;
}

static gboolean record(const char *path, recorded *r)
{
	GError *err = NULL;
	memset(r, 0, sizeof *r);
	if (!(r->elf = hw_elf_open(path, &err)) || !(r->dwarf = hw_dwarf_load(r->elf, &err)))
		return fail(path, "loading", err->message);
	const char *version = NULL;
	if (!hw_elf_go_buildinfo(r->elf, &version, NULL, &err))
		return fail(path, "Go version", err->message);
	g_strlcpy(r->version, version, sizeof r->version);
	size_t dot = strlen("go1.") + strspn(version + strlen("go1."), "0123456789");
	g_snprintf(r->release, sizeof r->release, "%.*s", (int)dot, version);

	hw_dwarf_record(r->dwarf);
	gr_layout L;
	if (!gr_layout_load(r->dwarf, 0, &L, &err))
		return fail(path, "gr_layout_load", err->message);
	hw_memsrc *empty = hw_memimage_new();
	hw_moduledata md;
	gboolean ok = hw_moduledata_read(empty, r->dwarf, L.firstmoduledata, &md, &err);
	hw_memsrc_unref(empty);
	if (ok || !g_str_has_prefix(err->message, "reading runtime.moduledata"))
		return fail(path, "hw_moduledata_read", ok ? "read an empty memory" : err->message);
	g_clear_error(&err);
	ok = TRUE;

	gr_mem none = { no_read, NULL };
	gr_pause pause;
	gr_pause_init(&pause);
	gr_memacct acct;
	gr_memacct_read(&none, r->dwarf, r->elf, 0, &pause, &acct);
	/* Only a layout miss is prefixed so; a read failure is the expected end. */
	if (acct.note && g_str_has_prefix(acct.note, "memory accounting:"))
		ok = fail(path, "gr_memacct_read", acct.note);
	gr_memacct_clear(&acct);
	gr_allocsites sites;
	gr_allocsites_init(&sites);
	gr_allocsites_read(&none, r->dwarf, 0, &L, &pause.spans, &sites);
	if (ok && sites.note && strstr(sites.note->str, "no allocation sites"))
		ok = fail(path, "gr_allocsites_read", sites.note->str);
	gr_allocsites_clear(&sites);
	gr_pause_clear(&pause);
	return ok;
}

static void recorded_clear(recorded *r)
{
	hw_dwarf_free(r->dwarf);
	if (r->elf)
		hw_elf_unref(r->elf);
}

static const char *const what_names[] = {
	[HW_DWARF_FACT_TYPE] = "HW_DWARF_FACT_TYPE", [HW_DWARF_FACT_MEMBER] = "HW_DWARF_FACT_MEMBER",
	[HW_DWARF_FACT_GLOBAL] = "HW_DWARF_FACT_GLOBAL", [HW_DWARF_FACT_CONSTANT] = "HW_DWARF_FACT_CONSTANT",
};
static const char *const kind_names[] = {
	[HW_DWARF_KIND_OTHER] = "HW_DWARF_KIND_OTHER", [HW_DWARF_KIND_BASE] = "HW_DWARF_KIND_BASE",
	[HW_DWARF_KIND_STRUCT] = "HW_DWARF_KIND_STRUCT", [HW_DWARF_KIND_POINTER] = "HW_DWARF_KIND_POINTER",
	[HW_DWARF_KIND_ARRAY] = "HW_DWARF_KIND_ARRAY", [HW_DWARF_KIND_TYPEDEF] = "HW_DWARF_KIND_TYPEDEF",
	[HW_DWARF_KIND_SUBROUTINE] = "HW_DWARF_KIND_SUBROUTINE", [HW_DWARF_KIND_UNION] = "HW_DWARF_KIND_UNION",
	[HW_DWARF_KIND_ENUM] = "HW_DWARF_KIND_ENUM",
};

static void print_size(guint64 v)
{
	if (v == HW_DWARF_SIZE_UNKNOWN)
		printf("HW_DWARF_SIZE_UNKNOWN");
	else
		printf("%" G_GUINT64_FORMAT, v);
}

/* One fact as a C initializer (also the form differences are listed in). */
static void print_fact(const hw_dwarf_fact *f)
{
	printf("\t{ %s, \"%s\", ", what_names[f->what], f->name);
	if (f->path)
		printf("\"%s\"", f->path);
	else
		printf("NULL");
	printf(", %" G_GINT64_FORMAT ", { %s, ", f->value, kind_names[f->shape.kind]);
	print_size(f->shape.size);
	printf(", %" G_GUINT64_FORMAT ", ", f->shape.count);
	print_size(f->shape.elem_size);
	printf(" } },\n");
}

static void ident(const char *release, char *out, size_t len)
{
	g_strlcpy(out, release, len);
	for (char *p = out; *p; p++)
		if (*p == '.')
			*p = '_';
}

static int generate(int n, char **paths)
{
	recorded *r = g_new0(recorded, n);
	int status = 0;
	for (int i = 0; i < n && status == 0; i++)
		if (!record(paths[i], &r[i]))
			status = 1;
	for (int i = 0; i < n && status == 0; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(r[i].release, r[j].release) == 0) {
				fprintf(stderr, "layout-table-gen: %s and %s are both %s\n", paths[j], paths[i], r[i].release);
				status = 1;
			}
	if (status == 0) {
		printf("/* layout-table.c - the Go runtime layouts of each release, for binaries without DWARF.\n"
		       " *\n"
		       " * GENERATED by scripts/gen-layout-table.sh (src/goruntime/layout-table-gen.c): do not\n"
		       " * edit. Each entry is what the dumper's layout loaders asked of the DWARF of a binary\n"
		       " * built by that release's toolchain, and what it answered (layout.h). To regenerate,\n"
		       " * e.g. after a new Go release or a loader that reads one more field:\n"
		       " *\n"
		       " *     scripts/gen-layout-table.sh BUILDDIR > src/goruntime/layout-table.c\n"
		       " *\n"
		       " * The test debuginfo/nodwarf-table-current checks the entry of the Go on PATH against a\n"
		       " * fresh build.\n"
		       " */\n"
		       "#include \"goruntime/layout.h\"\n");
		for (int i = 0; i < n; i++) {
			char id[40];
			ident(r[i].release, id, sizeof id);
			gsize nf;
			const hw_dwarf_fact *f = hw_dwarf_recorded(r[i].dwarf, &nf);
			printf("\n/* %s, recorded from %s */\nstatic const hw_dwarf_fact %s[] = {\n", r[i].release,
			       r[i].version, id);
			for (gsize k = 0; k < nf; k++)
				print_fact(&f[k]);
			printf("};\n");
		}
		printf("\nconst gr_layout_table gr_layout_tables[] = {\n");
		for (int i = 0; i < n; i++) {
			char id[40];
			ident(r[i].release, id, sizeof id);
			printf("\t{ \"%s\", \"%s\", %s, G_N_ELEMENTS(%s) },\n", r[i].release, r[i].version, id, id);
		}
		printf("};\n\nconst size_t gr_layout_n_tables = G_N_ELEMENTS(gr_layout_tables);\n");
	}
	for (int i = 0; i < n; i++)
		recorded_clear(&r[i]);
	g_free(r);
	return status;
}

static gboolean fact_equal(const hw_dwarf_fact *a, const hw_dwarf_fact *b)
{
	return a->what == b->what && strcmp(a->name, b->name) == 0 &&
	       g_strcmp0(a->path, b->path) == 0 && a->value == b->value && a->shape.kind == b->shape.kind &&
	       a->shape.size == b->shape.size && a->shape.count == b->shape.count &&
	       a->shape.elem_size == b->shape.elem_size;
}

static int check(const char *path)
{
	recorded r;
	if (!record(path, &r)) {
		recorded_clear(&r);
		return 1;
	}
	const gr_layout_table *t = NULL;
	for (size_t i = 0; i < gr_layout_n_tables; i++)
		if (strcmp(gr_layout_tables[i].release, r.release) == 0)
			t = &gr_layout_tables[i];
	int status = 0;
	gsize nf;
	const hw_dwarf_fact *f = hw_dwarf_recorded(r.dwarf, &nf);
	if (!t) {
		printf("%s: %s has no entry in the layout table: regenerate it\n", path, r.release);
		status = 1;
	} else {
		for (gsize k = 0; k < MAX(nf, t->n_facts); k++) {
			if (k < nf && k < t->n_facts && fact_equal(&f[k], &t->facts[k]))
				continue;
			if (status == 0)
				printf("%s (%s) differs from the %s entry (recorded from %s) at fact %" G_GSIZE_FORMAT
				       "; regenerate the table (scripts/gen-layout-table.sh):\n",
				       path, r.version, t->release, t->recorded_from, k);
			status = 1;
			printf("binary:");
			if (k < nf)
				print_fact(&f[k]);
			else
				printf("\t(none)\n");
			printf("table: ");
			if (k < t->n_facts)
				print_fact(&t->facts[k]);
			else
				printf("\t(none)\n");
		}
		if (status == 0)
			printf("%s (%s): the %s entry (recorded from %s) matches, %" G_GSIZE_FORMAT " facts\n", path,
			       r.version, t->release, t->recorded_from, nf);
	}
	recorded_clear(&r);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--check") == 0)
		return check(argv[2]);
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: layout-table-gen EXE... > layout-table.c\n"
		                "       layout-table-gen --check EXE\n");
		return 2;
	}
	return generate(argc - 1, argv + 1);
}
