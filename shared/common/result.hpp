#pragma once

#include <utility>
#include <variant>

#include "shared/common/api_error.hpp"

namespace kb {

/// A value or the error explaining why there is none: by default the
/// Anthropic-shaped error of the data plane.
template <class T, class E = api_error>
class result {
public:
  result(T value) : data_(std::move(value)) {}
  result(E err) : data_(std::move(err)) {}

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { return std::get<1>(data_); }

private:
  std::variant<T, E> data_;
};

} // namespace kb
