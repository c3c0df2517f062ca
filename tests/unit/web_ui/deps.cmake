target_link_libraries(${suite_target} PRIVATE kb_admin PkgConfig::HTTPLIB)
