# Project-wide helpers: warnings for our own code, one library per folder.

set(KB_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

# kb_library(NAME DIR [DEPS ...]): a static library of every .cpp in DIR.
function(kb_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(${name} PRIVATE ${KB_WARNINGS})
    target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# kb_test_binary(NAME SOURCES ... DEPS ...): one doctest binary, one ctest per case.
function(kb_test_binary name)
  cmake_parse_arguments(ARG "" "" "DEPS;SOURCES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/support/doctest_main.cpp)
  target_compile_options(${name} PRIVATE ${KB_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} doctest::doctest)
  target_compile_definitions(${name} PRIVATE KB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  doctest_discover_tests(${name} TEST_PREFIX "${name}:" PROPERTIES TIMEOUT 300)
endfunction()

# Adds every child folder that has a CMakeLists.txt, so a new folder needs no
# edit of its parent.
function(kb_add_child_directories)
  file(GLOB children LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(child ${children})
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
