# The split daemons under test (kiro-sim comes with every integration suite).
foreach(daemon kiro-supervisor kiro-gateway kiro-admin)
  if(TARGET ${daemon})
    add_dependencies(${suite_target} ${daemon})
  endif()
endforeach()
