/* gocheck.h - is an executable a Go program, and which one.
 *
 * The watchers capture only Go processes (the dumper reads only Go heaps), and skip the Go
 * toolchain itself: `go test` runs the go command, the compiler and the linker, all Go
 * programs, around the test binary the user cares about. Both questions are answered by the
 * `.go.buildinfo` section every Go linker since 1.13 writes: its presence says "Go", and its
 * module information names the main package ("cmd/go", "cmd/compile", "heapwalk/samples/x").
 */
#ifndef HW_WATCH_GOCHECK_H
#define HW_WATCH_GOCHECK_H

#include <glib.h>
#include <sys/types.h>

/* TRUE when the ELF file at `path` has a .go.buildinfo section. *main_path (may be NULL) then
 * receives the main package path from the build information (g_free), or NULL when the
 * section does not carry it inline (Go < 1.18). FALSE for anything else, including files that
 * cannot be read: a process that vanished is not a Go process to watch. */
gboolean hw_gocheck_exe(const char *path, char **main_path);

/* The same for a live process, through /proc/PID/exe. */
gboolean hw_gocheck_pid(pid_t pid, char **main_path);

/* TRUE for the main package paths of the Go toolchain's own programs ("cmd/..."). */
gboolean hw_gocheck_is_toolchain(const char *main_path);

#endif /* HW_WATCH_GOCHECK_H */
