# Installs the already-built hookfence into a scratch prefix, extracts the C++ example from
# README.md (the block between <!-- example:begin --> and <!-- example:end -->), builds it as a
# separate project with find_package(hookfence), and runs it.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/src")

execute_process(COMMAND ${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${WORK_DIR}/prefix"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()

file(READ "${SOURCE_DIR}/README.md" readme)
string(REGEX MATCH "<!-- example:begin -->[^`]*```cpp\n(.*)\n```[^`]*<!-- example:end -->" found "${readme}")
if(NOT found)
  message(FATAL_ERROR "README.md has no example block")
endif()
file(WRITE "${WORK_DIR}/src/readme_example.cc" "${CMAKE_MATCH_1}\n")
file(COPY "${SOURCE_DIR}/tests/consumer/CMakeLists.txt" DESTINATION "${WORK_DIR}/src")

execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK_DIR}/src" -B "${WORK_DIR}/build" -G Ninja
    "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer project failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the README example failed: ${rc}")
endif()
execute_process(COMMAND "${WORK_DIR}/build/readme_example" WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the README example failed: ${rc}")
endif()
