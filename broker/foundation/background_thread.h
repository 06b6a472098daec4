// Background threads: work that must keep up, but not ahead of a client's answer.
#pragma once

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace wyvern {

// Makes the calling thread (the heap warmer, the LMDB checkpointer) yield the cores to the
// threads that answer clients. Why: on two cores, a thread that answers clients woke to find both taken by background
// work and waited out whole slices (3-4 ms), while the journal writer, with no batch to write,
// idled: ~13% of a filling broker's time. So: nice 10, and the shortest scheduler slice, so
// that a woken I/O thread waits for them 0.1 ms at most, not a whole slice (kernels before
// 6.12 ignore the slice; a failed call leaves the thread as it was).
//
// Not SCHED_IDLE, though it measured faster: both must keep up. The journal cannot take a
// lane back until the checkpointer has absorbed it, the heap warmer's 2 MiB page faults hold
// the process's mmap lock, and a new heap region waits for the warmer; an idle-class thread
// can be kept off the cores indefinitely by another program, and an unprivileged thread
// cannot leave the class again. A lowered nice cannot be raised back either; at nice 10 such
// a thread still gets a tenth of a core against each busy one.
inline void run_as_background_thread() {
  pid_t self = static_cast<pid_t>(::gettid());
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(self), 10);
  struct {  // the kernel's struct sched_attr (glibc 2.36 declares none)
    uint32_t size = sizeof *this;
    uint32_t policy = SCHED_OTHER;
    uint64_t flags = 0;
    int32_t nice = 10;
    uint32_t priority = 0;
    uint64_t runtime = 100 * 1000;  // ns: for the fair class, the slice it asks for
    uint64_t deadline = 0, period = 0;
  } attr;
  ::syscall(SYS_sched_setattr, self, &attr, 0);
}

}  // namespace wyvern
