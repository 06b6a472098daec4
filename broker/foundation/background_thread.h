// Background threads: work that must keep up, but not ahead of a client's answer.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

namespace wyvern {

// Lowers the calling thread's priority (nice 10; never needs privileges). Why: on two cores,
// the heap warmer and the LMDB checkpointer each run for whole scheduler slices. When the
// journal's completions woke the I/O thread, it waited behind them for milliseconds, the
// journal writer idled with no batch to write, and ~15% of a filling broker's time was such
// gaps. At nice 10 a waking I/O or journal thread preempts them at once; they still get the
// cores whenever those wait, which under load is often (a journal cycle is mostly fdatasync).
inline void run_as_background_thread() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
}

}  // namespace wyvern
