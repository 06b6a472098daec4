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
#include <gperftools/malloc_extension.h>
#include <sys/mman.h>

#include <cstdint>
#include <mutex>

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kRegion = size_t{64} << 20;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

class HugePageHeap final : public SysAllocator {
 public:
  explicit HugePageHeap(SysAllocator* fallback) : fallback_(fallback) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    std::lock_guard lock(mu_);  // tcmalloc serialises calls already; this keeps it obvious
    if (alignment < 4096) alignment = 4096;
    size = round_up(size, alignment);
    uintptr_t start = round_up(next_, alignment);
    if (next_ == 0 || start + size > end_) {
      if (!reserve(round_up(size + alignment, kRegion)))
        return fallback_ ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
      start = round_up(next_, alignment);
    }
    next_ = start + size;
    if (actual_size) *actual_size = size;
    return reinterpret_cast<void*>(start);
  }

 private:
  // Maps a fresh region of `bytes` (a multiple of kRegion) on a 2 MiB boundary.
  bool reserve(size_t bytes) {
    void* p = ::mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    uintptr_t raw = reinterpret_cast<uintptr_t>(p);
    uintptr_t aligned = round_up(raw, kHugePage);
    if (aligned > raw) ::munmap(p, aligned - raw);
    uintptr_t tail = aligned + bytes;
    if (raw + bytes + kHugePage > tail)
      ::munmap(reinterpret_cast<void*>(tail), raw + bytes + kHugePage - tail);
    ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
    next_ = aligned;
    end_ = aligned + bytes;
    return true;
  }

  SysAllocator* fallback_;
  std::mutex mu_;
  uintptr_t next_ = 0;
  uintptr_t end_ = 0;
};

// Installed before main, while the process is still single-threaded, as the header asks.
const bool kInstalled = [] {
  static HugePageHeap heap(MallocExtension::instance()->GetSystemAllocator());
  MallocExtension::instance()->SetSystemAllocator(&heap);
  return true;
}();

}  // namespace
