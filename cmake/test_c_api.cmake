# The C API against the installed library: installs the freshly built rbm into a scratch
# prefix, builds tests/c_api/bars_and_stripes.c as C99 twice — with pkg-config (rbm.pc) and with
# find_package(rbm) — and tests/c_api/reference.cpp (the same run through the C++ API), runs all
# three on one configuration and requires the same log Z and mean log-likelihood, bit for bit
# (one CPU thread, one library). Compiler and flags come from CC, CFLAGS and LDFLAGS when set
# (the sanitizer build sets them).
set(root "${BINARY_DIR}/c_api_test")
set(prefix "${root}/prefix")
set(source "${SOURCE_DIR}/tests/c_api")
file(REMOVE_RECURSE "${root}")
file(MAKE_DIRECTORY "${root}/scratch")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${prefix}")

# find_package(rbm): the C program and the C++ reference.
run(${CMAKE_COMMAND} -S "${source}" -B "${root}/cmake-build" -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${root}/cmake-build")

# pkg-config: cc prog.c $(pkg-config --cflags --libs rbm), as the README says.
find_program(pkg_config pkg-config REQUIRED)
file(GLOB_RECURSE pc_file "${prefix}/*/pkgconfig/rbm.pc")
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
execute_process(COMMAND ${pkg_config} --cflags --libs rbm OUTPUT_VARIABLE pc_flags
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${pkg_config} --variable=libdir rbm OUTPUT_VARIABLE pc_libdir
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config --cflags --libs rbm: ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
if(DEFINED ENV{CC} AND NOT "$ENV{CC}" STREQUAL "")
  set(c_compiler "$ENV{CC}")
else()
  find_program(c_compiler NAMES cc gcc REQUIRED)
endif()
separate_arguments(cflags UNIX_COMMAND "$ENV{CFLAGS}")
separate_arguments(ldflags UNIX_COMMAND "$ENV{LDFLAGS}")
run(${c_compiler} -std=c99 -pedantic -Wall -Wextra -Werror ${cflags} "${source}/bars_and_stripes.c"
    -o "${root}/bars_and_stripes_pkg_config" ${pc_flags} "-Wl,-rpath,${pc_libdir}" ${ldflags})

# Run all three; each prints "log_z X" and "mean_log_likelihood X" with 17 digits.
set(config "${source}/bas3.json")
set(spec "bas:3")
function(results program out)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE output)
  message(STATUS "${program}:\n${output}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${program} failed (${rc})")
  endif()
  string(REGEX MATCHALL "(log_z|mean_log_likelihood) [^\n]+" lines "${output}")
  list(LENGTH lines n)
  if(NOT n EQUAL 2)
    message(FATAL_ERROR "${program} printed no log Z and log-likelihood")
  endif()
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()
results("C (pkg-config)" c_pkg_config "${root}/bars_and_stripes_pkg_config" "${config}" "${spec}"
        "${root}/scratch")
results("C (find_package)" c_cmake "${root}/cmake-build/bars_and_stripes" "${config}" "${spec}"
        "${root}/scratch")
results("C++ API" cpp "${root}/cmake-build/reference" "${config}" "${spec}")
if(NOT c_pkg_config STREQUAL cpp OR NOT c_cmake STREQUAL cpp)
  message(FATAL_ERROR "the C API's results differ from the C++ API's:\n  C (pkg-config): "
                      "${c_pkg_config}\n  C (find_package): ${c_cmake}\n  C++: ${cpp}")
endif()
message(STATUS "C and C++ agree bit for bit: ${cpp}")
