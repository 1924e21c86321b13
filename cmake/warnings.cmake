# Warnings as targets (issue 14 §5):
#   pipecheck_warnings         every target of the project (linked through link_libraries in the
#                              top-level CMakeLists.txt): -Wall -Wextra -Wpedantic, and -Werror
#                              with PIPECHECK_WERROR (the ci presets)
#   pipecheck_strict_warnings  the libraries (impl/, harness/), held stricter than the tests and
#                              programs that use them: also -Wshadow
# Third-party code built here (GoogleTest in the cross builds) is not held to them.
add_library(pipecheck_warnings INTERFACE)
target_compile_options(pipecheck_warnings INTERFACE -Wall -Wextra -Wpedantic
                                                    $<$<BOOL:${PIPECHECK_WERROR}>:-Werror>)

add_library(pipecheck_strict_warnings INTERFACE)
target_link_libraries(pipecheck_strict_warnings INTERFACE pipecheck_warnings)
target_compile_options(pipecheck_strict_warnings INTERFACE -Wshadow)
