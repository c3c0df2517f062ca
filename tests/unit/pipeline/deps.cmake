# Cross-module rules: Claude request → Kiro body → kiro-sim validation.
target_link_libraries(${suite_target} PRIVATE kb_claude kb_kiro kb_sim kb_config)
