// The messages of one queue, each held once and ordered three ways: by arrival (seq), by the
// moment it becomes visible, and by the moment its retention counts from.
//
// Why intrusive: a queue may hold millions of messages, and a producer that outruns its
// consumers grows the broker by every byte a message costs. With a map by seq and two sets
// beside it, a message with a 100-byte body cost four allocations and 384 bytes (a 176-byte
// map node, the body, two 48-byte set nodes). Here the three orders are hooks inside the
// message's own allocation: two allocations and 320 bytes. Fresh memory is not free either:
// the kernel zeroes every new page, which was a fifth of a filling broker's CPU.
#pragma once

#include <boost/intrusive/set.hpp>
#include <cstdint>
#include <utility>

#include "message.h"

namespace wyvern::queue {

class MessageIndex {
  using Hook = boost::intrusive::set_member_hook<boost::intrusive::optimize_size<true>>;

  struct Node : StoredMessage {
    explicit Node(StoredMessage&& m) : StoredMessage(std::move(m)) {}
    Hook by_seq, by_visible, by_retained;
  };

  struct SeqOf {
    using type = uint64_t;
    uint64_t operator()(const Node& n) const { return n.seq; }
  };
  struct VisibleOf {
    using type = std::pair<TimeMs, uint64_t>;
    type operator()(const Node& n) const { return {n.visible_at, n.seq}; }
  };
  struct RetainedOf {
    using type = std::pair<TimeMs, uint64_t>;
    type operator()(const Node& n) const { return {n.retained_from, n.seq}; }
  };

  template <Hook Node::*member, typename KeyOf>
  using Order = boost::intrusive::set<
      Node, boost::intrusive::member_hook<Node, Hook, member>,
      boost::intrusive::key_of_value<KeyOf>, boost::intrusive::constant_time_size<true>>;

  // Every StoredMessage an index hands out is one of its nodes.
  static Node& node(StoredMessage& m) { return static_cast<Node&>(m); }

 public:
  using ByArrival = Order<&Node::by_seq, SeqOf>;
  using ByVisibleAt = Order<&Node::by_visible, VisibleOf>;

  MessageIndex() = default;
  MessageIndex(MessageIndex&& other) noexcept { swap(other); }
  MessageIndex& operator=(MessageIndex&& other) noexcept {
    if (this != &other) {
      clear();
      swap(other);
    }
    return *this;
  }
  ~MessageIndex() { clear(); }

  size_t size() const { return by_seq_.size(); }
  bool empty() const { return by_seq_.empty(); }

  // Adds `m` unless a message with its seq is there already; returns the one the index holds.
  StoredMessage& insert(StoredMessage m) {
    auto* n = new Node(std::move(m));
    if (!place(by_seq_, *n)) {
      StoredMessage& held = *by_seq_.find(n->seq);
      delete n;
      return held;
    }
    place(by_visible_, *n);
    place(by_retained_, *n);
    return *n;
  }

  StoredMessage* find(uint64_t seq) {
    auto it = by_seq_.find(seq);
    return it == by_seq_.end() ? nullptr : &*it;
  }

  // `m` must belong to this index; it is destroyed.
  void erase(StoredMessage& m) {
    Node& n = node(m);
    by_visible_.erase(by_visible_.iterator_to(n));
    by_retained_.erase(by_retained_.iterator_to(n));
    by_seq_.erase(by_seq_.iterator_to(n));
    delete &n;
  }

  // Moves `m` (of this index) to its new place in visibility order.
  void set_visible_at(StoredMessage& m, TimeMs at) {
    Node& n = node(m);
    by_visible_.erase(by_visible_.iterator_to(n));
    n.visible_at = at;
    place(by_visible_, n);
  }

  // The message whose retention began first (ties: the earliest to arrive), or null.
  StoredMessage* oldest_retained() {
    return by_retained_.empty() ? nullptr : &*by_retained_.begin();
  }

  // Orders to iterate. Elements are StoredMessage; change visible_at only via set_visible_at.
  ByArrival& by_arrival() { return by_seq_; }
  const ByArrival& by_arrival() const { return by_seq_; }
  ByVisibleAt& by_visible_at() { return by_visible_; }
  const ByVisibleAt& by_visible_at() const { return by_visible_; }

  void clear() {
    by_visible_.clear();
    by_retained_.clear();
    by_seq_.clear_and_dispose([](Node* n) { delete n; });
  }

 private:
  // Links `n` into `order` unless its key is there already. A new message, and a message
  // whose visibility moves to "now + timeout", almost always sorts last, so that case is
  // constant time. Boost 1.74 finds the last node of a hinted insert at end() by walking the
  // tree's right spine from the root: a cache miss per level in a queue of millions, which
  // was most of the time a send spent in the index.
  template <typename OrderT>
  static bool place(OrderT& order, Node& n) {
    using Traits = typename OrderT::node_traits;
    auto header = order.end().pointed_node();
    auto last = Traits::get_right(header);  // the header's right link is the rightmost node
    typename OrderT::key_of_value key;
    if (last == header || key(*OrderT::value_traits::to_value_ptr(last)) < key(n)) {
      order.push_back(n);
      return true;
    }
    return order.insert_unique(n).second;
  }

  void swap(MessageIndex& other) {
    by_seq_.swap(other.by_seq_);
    by_visible_.swap(other.by_visible_);
    by_retained_.swap(other.by_retained_);
  }

  ByArrival by_seq_;
  ByVisibleAt by_visible_;
  Order<&Node::by_retained, RetainedOf> by_retained_;
};

}  // namespace wyvern::queue
