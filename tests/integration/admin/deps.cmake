target_link_libraries(${suite_target} PRIVATE nlohmann_json::nlohmann_json kb_admin)
add_dependencies(${suite_target} kiro-bridge kiroctl)
