// Background threads: work that must keep up, but not ahead of a client's answer.
#pragma once

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace wyvern {

// How a background thread yields the cores to the threads that answer clients.
enum class Background {
  // Work that can fall behind without harm (the heap warmer: what it has not warmed, the
  // allocating thread faults in itself): runs only on a core nobody else wants.
  kWhenIdle,
  // Work that must keep up (the checkpointer: the journal cannot take its lanes back until it
  // has): nice 10 and the shortest scheduler slice, so a woken I/O thread waits for it 0.1 ms
  // at most, not a whole slice.
  kYielding,
};

// Why: on two cores, a thread that answers clients woke to find both taken by background
// work and waited out whole slices (3-4 ms), while the journal writer, with no batch to write,
// idled: ~13% of a filling broker's time. Lowering one's own priority needs no privileges;
// where the kernel refuses a setting (kernels before 6.12 know no fair-class slices), the
// thread runs as before.
inline void run_as_background_thread(Background kind) {
  pid_t self = static_cast<pid_t>(::gettid());
  if (kind == Background::kWhenIdle) {
    sched_param none{};
    ::sched_setscheduler(self, SCHED_IDLE, &none);
    return;
  }
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
