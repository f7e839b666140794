//===- BufferCache.h - reuse of the JIT code's large buffers ----*- C++ -*-===//
//
// The JIT-compiled code gets its buffers (results and temporaries) from
// here instead of straight from malloc. A fresh large allocation is mapped
// by the kernel and faults in every page when first written: for a 256 MiB
// result that is ~90 ms, more than the softmax that fills it. Freed large
// buffers are kept, up to a byte limit, and handed out again to requests of
// about their size, whose pages are then already mapped.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PYTHON_BUFFERCACHE_H
#define ATTN_PYTHON_BUFFERCACHE_H

#include <cstddef>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace attn_jit {

class BufferCache {
public:
  /// Buffers below this size are left to malloc, which reuses them itself.
  static constexpr size_t kMinSize = size_t(1) << 20;

  explicit BufferCache(size_t limit) : limit(limit) {}
  ~BufferCache() { trim(); }

  void *allocate(size_t size) {
    if (size < kMinSize)
      return std::malloc(size);
    std::lock_guard<std::mutex> lock(mutex);
    // A cached buffer at most 1/8 larger than asked for.
    auto it = cached.lower_bound(size);
    if (it != cached.end() && it->first <= size + size / 8) {
      void *p = it->second;
      cachedBytes -= it->first;
      cached.erase(it);
      return p;
    }
    void *p = std::malloc(size);
    if (p)
      sizes[p] = size;
    return p;
  }

  void release(void *p) {
    if (!p)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = sizes.find(p);
    if (it == sizes.end()) {
      std::free(p);
      return;
    }
    size_t size = it->second;
    if (cachedBytes + size > limit) {
      sizes.erase(it);
      std::free(p);
      return;
    }
    cached.emplace(size, p);
    cachedBytes += size;
  }

  /// Frees every cached buffer.
  void trim() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &[size, p] : cached) {
      sizes.erase(p);
      std::free(p);
    }
    cached.clear();
    cachedBytes = 0;
  }

  size_t bytesCached() {
    std::lock_guard<std::mutex> lock(mutex);
    return cachedBytes;
  }

private:
  std::mutex mutex;
  size_t limit;
  size_t cachedBytes = 0;
  std::multimap<size_t, void *> cached;     // free buffers by size
  std::unordered_map<void *, size_t> sizes; // every large buffer's size
};

} // namespace attn_jit

#endif // ATTN_PYTHON_BUFFERCACHE_H
