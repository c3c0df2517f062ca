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
  target_compile_definitions(${name} PRIVATE KB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             KB_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
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

# kb_test_suites(PREFIX [LINK_MODULE] [DEPS libs...] [NEEDS targets...]):
# every child folder with .cpp files becomes the doctest binary
# PREFIX_<folder>, linked with DEPS (and kb_<folder> with LINK_MODULE, when
# that library exists), built after NEEDS. A folder may add a `deps.cmake`
# that links more to ${suite_target}.
function(kb_test_suites prefix)
  cmake_parse_arguments(ARG "LINK_MODULE" "" "DEPS;NEEDS" ${ARGN})
  file(GLOB dirs LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(dir ${dirs})
    if(NOT IS_DIRECTORY ${dir})
      continue()
    endif()
    get_filename_component(name ${dir} NAME)
    file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
    if(NOT sources)
      continue()
    endif()
    set(suite_target ${prefix}_${name})
    set(deps ${ARG_DEPS})
    if(ARG_LINK_MODULE AND TARGET kb_${name})
      list(APPEND deps kb_${name})
    endif()
    kb_test_binary(${suite_target} SOURCES ${sources} DEPS ${deps})
    foreach(needed ${ARG_NEEDS})
      if(TARGET ${needed})
        add_dependencies(${suite_target} ${needed})
      endif()
    endforeach()
    if(EXISTS ${dir}/deps.cmake)
      include(${dir}/deps.cmake)
    endif()
  endforeach()
endfunction()
