# The TLS client test makes a self-signed certificate (tests/support).
target_link_libraries(${suite_target} PRIVATE kb_test_support)
