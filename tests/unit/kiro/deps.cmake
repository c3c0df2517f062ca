# The size-shaping property test checks every body with kiro-sim's validator.
target_link_libraries(${suite_target} PRIVATE kb_sim)
