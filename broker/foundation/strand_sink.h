// A way back onto a service's strand for completions that arrive on other threads (store
// commits, HTTP responses, local functions), which stops working once the service is gone.
//
// Lifecycle: a service owns one StrandSink and close()s it in its destructor; a completion
// wrapped by on_strand() then does nothing instead of touching a destroyed service.
// Thread-safety: on_strand()'s functions may be called from any thread; close() from the owner's.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

namespace wyvern {

class StrandSink {
 public:
  using Post = std::function<void(std::function<void()>)>;

  explicit StrandSink(Post post) : state_(std::make_shared<State>()) {
    state_->post = std::move(post);
  }
  StrandSink(const StrandSink&) = delete;
  StrandSink& operator=(const StrandSink&) = delete;
  ~StrandSink() { close(); }

  // From now on, wrapped completions are dropped.
  void close() {
    std::lock_guard lock(state_->mu);
    state_->open = false;
  }

  // `fn` made callable from any thread: it runs on the strand, if the owner still lives then.
  template <typename Arg>
  std::function<void(Arg)> on_strand(std::function<void(Arg)> fn) const {
    return [state = state_, fn = std::move(fn)](Arg arg) {
      std::lock_guard lock(state->mu);
      if (!state->open) return;
      state->post([fn, arg = std::move(arg)] { fn(arg); });
    };
  }

 private:
  struct State {
    std::mutex mu;
    bool open = true;
    Post post;
  };
  std::shared_ptr<State> state_;
};

}  // namespace wyvern
