/* goprog.h - test helpers: build the Go programs of tests/debuginfo/testdata and run them.
 *
 * Shared by the 'debuginfo' and 'target' suites. The testdata module path comes from the
 * HW_GO_TESTDATA environment variable, which meson sets. Every helper fails the running
 * cmocka test (never skips) when go >= 1.22 is missing or a build fails.
 */
#ifndef HW_TESTS_GOPROG_H
#define HW_TESTS_GOPROG_H

#include <glib.h>
#include <sys/types.h>

/* Builds package pkg ("./probe") of the testdata module with extra `go build` flags (may be
 * NULL, space-separated), once per process per (pkg, flags); returns the binary's path (owned
 * by the helper, removed at exit). */
const char *hwt_go_build(const char *pkg, const char *flags);

/* Runs argv and returns its stdout (g_free). Fails the test on a non-zero exit. */
char *hwt_run(const char *const *argv);

/* A running program whose stdout we read line by line. */
typedef struct {
	pid_t pid;
	int out_fd;
	GString *buf;
} hwt_child;

/* Starts path with argument arg (may be NULL). */
void hwt_child_start(hwt_child *c, const char *path, const char *arg);

/* Next line of output (g_free), waiting up to 60 s; fails the test on EOF or timeout. */
char *hwt_child_line(hwt_child *c);

/* Kills (SIGKILL) and reaps the child. */
void hwt_child_stop(hwt_child *c);

/* The state letter of /proc/PID/stat ('R', 'S', 't', ...), or 0 if unreadable. */
char hwt_proc_state(pid_t pid);

/* Parses "key=value" (value in C integer syntax) out of a line; fails if absent. */
guint64 hwt_field(const char *line, const char *key);

#endif
