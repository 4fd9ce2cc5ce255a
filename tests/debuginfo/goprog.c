/* goprog.c - build and run the Go test programs (see goprog.h). */
#include "goprog.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char *tmpdir;
static GHashTable *built;

static void cleanup_tmpdir(void)
{
	if (tmpdir) {
		const char *argv[] = { "rm", "-rf", tmpdir, NULL };
		g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
			     NULL, NULL);
	}
}

static void require_go(void)
{
	static gboolean checked;
	if (checked)
		return;
	g_autofree char *out = NULL;
	int status = 0;
	const char *argv[] = { "go", "version", NULL };
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
			  &status, NULL) || status != 0)
		fail_msg("these tests need Go >= 1.22 on PATH: `go version` did not run");
	const char *v = strstr(out, "go1.");
	if (v == NULL || atoi(v + 4) < 22)
		fail_msg("these tests need Go >= 1.22; found: %s", out);
	checked = TRUE;
}

const char *hwt_go_build(const char *pkg, const char *flags)
{
	require_go();
	if (built == NULL) {
		built = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		tmpdir = g_dir_make_tmp("hwtest-XXXXXX", NULL);
		assert_non_null(tmpdir);
		atexit(cleanup_tmpdir);
	}
	g_autofree char *key = g_strdup_printf("%s|%s", pkg, flags ? flags : "");
	const char *have = g_hash_table_lookup(built, key);
	if (have)
		return have;
	const char *src = g_getenv("HW_GO_TESTDATA");
	if (src == NULL)
		fail_msg("HW_GO_TESTDATA is not set (run the tests through meson test)");

	g_autofree char *base = g_path_get_basename(pkg);
	char *out = g_strdup_printf("%s/%s-%u", tmpdir, base, g_hash_table_size(built));
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, "go");
	g_ptr_array_add(argv, "build");
	g_auto(GStrv) extra = g_strsplit(flags ? flags : "", " ", -1);
	for (guint i = 0; extra[i]; i++)
		if (*extra[i])
			g_ptr_array_add(argv, extra[i]);
	g_ptr_array_add(argv, "-o");
	g_ptr_array_add(argv, out);
	g_ptr_array_add(argv, (char *)pkg);
	g_ptr_array_add(argv, NULL);
	g_autofree char *err_text = NULL;
	int status = 0;
	if (!g_spawn_sync(src, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
			  &err_text, &status, NULL) || status != 0)
		fail_msg("go build %s %s failed: %s", flags ? flags : "", pkg, err_text);
	g_hash_table_insert(built, g_steal_pointer(&key), out);
	return out;
}

char *hwt_run(const char *const *argv)
{
	char *out = NULL;
	g_autofree char *err_text = NULL;
	int status = 0;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
			  &err_text, &status, NULL) || status != 0)
		fail_msg("%s failed: %s", argv[0], err_text ? err_text : "");
	return out;
}

void hwt_child_start(hwt_child *c, const char *path, const char *arg)
{
	const char *argv[] = { path, arg, NULL };
	GPid pid;
	int out_fd;
	g_autoptr(GError) err = NULL;
	if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
				      NULL, &pid, NULL, &out_fd, NULL, &err))
		fail_msg("cannot start %s: %s", path, err->message);
	c->pid = pid;
	c->out_fd = out_fd;
	c->buf = g_string_new(NULL);
}

char *hwt_child_line(hwt_child *c)
{
	for (;;) {
		char *nl = memchr(c->buf->str, '\n', c->buf->len);
		if (nl) {
			char *line = g_strndup(c->buf->str, (gsize)(nl - c->buf->str));
			g_string_erase(c->buf, 0, nl - c->buf->str + 1);
			return line;
		}
		struct pollfd p = { .fd = c->out_fd, .events = POLLIN };
		int r = poll(&p, 1, 60000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail_msg("child %d printed no line within 60 s", (int)c->pid);
		char buf[4096];
		gssize n = read(c->out_fd, buf, sizeof buf);
		if (n <= 0)
			fail_msg("child %d closed its output", (int)c->pid);
		g_string_append_len(c->buf, buf, n);
	}
}

void hwt_child_stop(hwt_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	if (c->buf)
		g_string_free(c->buf, TRUE);
	c->buf = NULL;
}

char hwt_proc_state(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	const char *rp = strrchr(text, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

guint64 hwt_field(const char *line, const char *key)
{
	g_autofree char *pat = g_strdup_printf("%s=", key);
	const char *p = strstr(line, pat);
	while (p && p != line && p[-1] != ' ')
		p = strstr(p + 1, pat);
	if (p == NULL)
		fail_msg("no %s= in \"%s\"", key, line);
	return g_ascii_strtoull(p + strlen(pat), NULL, 0);
}
