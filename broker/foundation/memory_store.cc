// The memory stores: the same contract as LMDB without the disk, for tests and --in-memory.
#include <map>
#include <mutex>

#include "store.h"

namespace wyvern {
namespace {

class MemoryStore final : public Store {
 public:
  void commit(WriteBatch batch, Done done) override {
    {
      std::lock_guard lock(mu_);  // guards tables_; never held while calling out
      for (const auto& op : batch.ops()) {
        switch (op.kind) {
          case WriteBatch::Kind::kPut:
            tables_[std::string(op.table)][std::string(op.key)] = op.value;
            break;
          case WriteBatch::Kind::kErase:
            tables_[std::string(op.table)].erase(std::string(op.key));
            break;
          case WriteBatch::Kind::kClearAll:
            tables_.clear();
            break;
        }
      }
    }
    if (done) done(true);
  }

  void scan(std::string_view table, const Visitor& visit) override {
    std::map<std::string, std::string> copy;
    {
      std::lock_guard lock(mu_);
      auto it = tables_.find(std::string(table));
      if (it == tables_.end()) return;
      copy = it->second;
    }
    for (const auto& [k, v] : copy) visit(k, v);
  }

  void close() override {}

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> tables_;
};

class EphemeralStore final : public Store {
 public:
  void commit(WriteBatch, Done done) override {
    if (done) done(true);
  }
  void scan(std::string_view, const Visitor&) override {}
  void close() override {}
};

}  // namespace

std::unique_ptr<Store> open_ephemeral_store() {
  return std::make_unique<EphemeralStore>();
}

std::unique_ptr<Store> open_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace wyvern
