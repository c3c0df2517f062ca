#pragma once

#include "services/common/service_config.hpp"
#include "services/supervisor/supervisor.hpp"

namespace kb::sup {

/// The supervisor's settings from the loaded config folder.
supervisor_config make_supervisor_config(const service_config& sc);

} // namespace kb::sup
