// Backs tcmalloc's heap with transparent huge pages.
//
// Why: a broker that is being filled (a producer outrunning its consumers) grows its heap by
// hundreds of megabytes a second, and with 4 KiB pages every new page costs a fault. Profiles
// of durable batched sends put a quarter of the broker's CPU in first touches of fresh heap
// memory. Memory handed out in 2 MiB-aligned regions marked MADV_HUGEPAGE faults once per
// 2 MiB instead (the machine's THP mode is usually "madvise", so nothing else gets them).
//
// tcmalloc asks its system allocator for spans of at least 1 MiB and never gives them back
// (it only madvises free pages away), so a bump allocator over large reserved regions is
// enough. Reserving costs address space, not memory: pages are only backed when touched.
//
// Even once per 2 MiB, the first touch still zeroes the page on the thread that touches it,
// which is the I/O thread, and that was the largest single cost left in a filling broker's
// profile (13% of its CPU) while a core sat a quarter idle. So a warmer thread keeps the pages
// just past the bump pointer faulted in ahead of use, with MADV_POPULATE_WRITE: the kernel
// backs them as a write would, without writing. It only warms pages past the bump pointer,
// which tcmalloc has not been given yet, one huge page per call, and it warms ahead by an
// eighth of all the heap has handed out (2 to 32 MiB): a fresh broker's footprint grows by
// one huge page, a broker whose heap once reached 256 MiB keeps 32 MiB warm. When the bump
// allocator leaves a region, the warmed tail it will never hand out is given back. Kernels
// before 5.14 (or sandboxes) refuse the advice, and the warmer then stops.
#include <gperftools/malloc_extension.h>
#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "foundation/background_thread.h"

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kRegion = size_t{64} << 20;
constexpr size_t kMinAhead = kHugePage;
constexpr size_t kMaxAhead = size_t{32} << 20;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

class HugePageHeap final : public SysAllocator {
 public:
  explicit HugePageHeap(SysAllocator* fallback) : fallback_(fallback) {}

  // Runs the warmer on a thread of its own (detached: the heap lives as long as the process).
  void start_warmer() {
    std::thread([this] { warm(); }).detach();
  }

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    std::unique_lock lock(mu_);  // tcmalloc serialises calls already; this keeps it obvious
    if (alignment < 4096) alignment = 4096;
    size = round_up(size, alignment);
    uintptr_t start = round_up(next_, alignment);
    if (next_ == 0 || start + size > end_) {
      if (!reserve(round_up(size + alignment, kRegion), lock))
        return fallback_ ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
      start = round_up(next_, alignment);
    }
    next_ = start + size;
    handed_out_ += size;
    if (actual_size) *actual_size = size;
    if (warm_target() > warm_from()) warm_wanted_.notify_one();
    return reinterpret_cast<void*>(start);
  }

 private:
  // Where warming should reach: some way past the bump pointer, within the current region.
  uintptr_t warm_target() const {
    if (next_ == 0 || !warming_) return 0;
    size_t ahead = std::clamp(handed_out_ / 8, kMinAhead, kMaxAhead);
    return std::min(round_up(next_ + ahead, kHugePage), end_);
  }

  void warm() {
    pthread_setname_np(pthread_self(), "wyvern-heap");
    wyvern::run_as_background_thread();
    std::unique_lock lock(mu_);
    for (;;) {
      warm_wanted_.wait(lock, [&] { return warm_target() > warm_from(); });
      // One huge page per call, so that reserve(), which waits for the warmer, never waits long.
      uintptr_t from = warm_from(), to = from + kHugePage;
      warm_busy_ = true;
      lock.unlock();
      int rc = ::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
      int error = rc == 0 ? 0 : errno;
      lock.lock();
      warm_busy_ = false;
      warm_idle_.notify_all();
      // Memory pressure (ENOMEM, EAGAIN, EINTR) leaves the page to be faulted on use, as
      // without us; anything else means the advice is unavailable here.
      if (error != 0 && error != ENOMEM && error != EAGAIN && error != EINTR) {
        warming_ = false;
        return;
      }
      warmed_ = to;
    }
  }

  // Where warming goes on from: past what is warm, and past the bump pointer (pages handed
  // out are tcmalloc's, which may have given some back to the kernel on purpose).
  uintptr_t warm_from() const { return std::max(warmed_, round_up(next_, kHugePage)); }

  // Maps a fresh region of `bytes` (a multiple of kRegion) on a 2 MiB boundary, and gives back
  // the warmed pages past the bump pointer in the region it leaves: nothing will use them.
  bool reserve(size_t bytes, std::unique_lock<std::mutex>& lock) {
    void* p = ::mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    warm_idle_.wait(lock, [&] { return !warm_busy_; });
    if (uintptr_t unused = round_up(next_, kHugePage); next_ != 0 && warmed_ > unused)
      ::madvise(reinterpret_cast<void*>(unused), warmed_ - unused, MADV_DONTNEED);
    uintptr_t raw = reinterpret_cast<uintptr_t>(p);
    uintptr_t aligned = round_up(raw, kHugePage);
    if (aligned > raw) ::munmap(p, aligned - raw);
    uintptr_t tail = aligned + bytes;
    if (raw + bytes + kHugePage > tail)
      ::munmap(reinterpret_cast<void*>(tail), raw + bytes + kHugePage - tail);
    ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
    next_ = aligned;
    end_ = aligned + bytes;
    warmed_ = aligned;
    return true;
  }

  SysAllocator* fallback_;
  std::mutex mu_;
  uintptr_t next_ = 0;
  uintptr_t end_ = 0;
  size_t handed_out_ = 0;
  // The warmer's progress: pages below warmed_ in the current region are faulted in. While
  // warm_busy_ it is faulting one in, unlocked, and reserve() waits for it to finish.
  std::condition_variable warm_wanted_;
  std::condition_variable warm_idle_;
  uintptr_t warmed_ = 0;
  bool warm_busy_ = false;
  bool warming_ = true;
};

// Installed before main, while the process is still single-threaded, as the header asks.
// Never destroyed: tcmalloc and the warmer use it until the process ends.
const bool kInstalled = [] {
  auto* heap = new HugePageHeap(MallocExtension::instance()->GetSystemAllocator());
  MallocExtension::instance()->SetSystemAllocator(heap);
  heap->start_warmer();
  return true;
}();

}  // namespace
