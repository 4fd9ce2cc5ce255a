/* thread.h - one thread of a target and its registers, as ptrace or a core's NT_PRSTATUS give them.
 *
 * hw_process (live) and hw_core (core file) both expose an array of hw_thread. The registers
 * are the raw x86-64 general-purpose set (struct user_regs_struct): regs.rip, regs.rsp,
 * regs.rbp, regs.r14 (Go's g pointer in ABIInternal code), regs.fs_base (TLS), and the rest.
 */
#ifndef HW_TARGET_THREAD_H
#define HW_TARGET_THREAD_H

#include <glib.h>
#include <sys/user.h>

G_BEGIN_DECLS

typedef struct {
	gint32 tid;
	struct user_regs_struct regs;
} hw_thread;

G_END_DECLS

#endif
