# Installs the freshly built rbm into a scratch prefix, then builds and runs the example
# consumer against it with find_package(rbm): the test that the package really links.
set(prefix "${BINARY_DIR}/find_package_test/prefix")
set(build "${BINARY_DIR}/find_package_test/build")
file(REMOVE_RECURSE "${BINARY_DIR}/find_package_test")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${prefix}")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/train_and_eval" -B "${build}"
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${build}")
run("${build}/train_and_eval")
