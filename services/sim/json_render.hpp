#pragma once

#include <string>

#include <boost/json/fwd.hpp>

namespace kb::sim {

/// Like `boost::json::serialize`, but doubles look the way AWS services
/// write them (`50.0`, `0.04`) instead of Boost's `5E1`, `4E-2`.
std::string serialize_json(const boost::json::value& v);

/// The shortest decimal text that reads back as `x`, with `.0` for integers.
std::string format_double(double x);

} // namespace kb::sim
