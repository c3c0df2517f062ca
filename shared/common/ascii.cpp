#include "shared/common/ascii.hpp"

#include <algorithm>

namespace kb {

namespace {

bool same_ci(char a, char b) noexcept {
  return ascii_lower(a) == ascii_lower(b);
}

} // namespace

bool equals_ci(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same_ci);
}

bool contains_ci(std::string_view haystack, std::string_view needle) noexcept {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), same_ci) !=
         haystack.end();
}

} // namespace kb
