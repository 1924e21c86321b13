# Precompiled headers for the programs and tests (issue 14 §6: compile time). Nearly every
# translation unit includes nlohmann/json.hpp, and every test and suite GoogleTest/GoogleMock:
# parsing them is about a third of a test's compile time (harness/tests/report_test.cpp, -O2 -g1:
# 17.3 s user without, 12.9 s with).
#
# Only third-party and standard headers are precompiled. The harness library, 40 % of a first
# report's compile time, gets one too unless PIPECHECK_LIBRARY_PCH is OFF, as in the presets of
# ci/test (ci, asan, tsan): there a missing #include in a library still fails the build. PIPECHECK_PCH=OFF builds
# everything without.
#
# GCC 12 loses the system-header status of code inlined from a precompiled header, so its
# middle-end false positives in libstdc++ (e.g. -Warray-bounds on std::string operator+, which a
# normal build silences as system-header code) fail -Werror: those few are off where a
# precompiled header is used. The libraries, built without one, keep them.
#
#   pipecheck_precompile(TARGET [GTEST])    TARGET gets its own precompiled header: the JSON
#                                           library (and GoogleTest/GoogleMock with GTEST)
#   pipecheck_precompile_library(TARGET)    the same for a library, if PIPECHECK_LIBRARY_PCH
#   pipecheck_reuse_precompiled(TARGET FROM)  TARGET uses FROM's (same compiler flags), for
#                                           programs of one or two sources (suites, fuzz targets)
option(PIPECHECK_PCH "Precompile the JSON and GoogleTest headers of programs and tests" ON)
option(PIPECHECK_LIBRARY_PCH "Precompile the JSON headers of the harness library too" ON)

set(_pipecheck_pch_json <nlohmann/json.hpp> <string> <vector> <map> <optional> <filesystem>
                        <chrono> <thread> <fstream>)
set(_pipecheck_pch_gtest <gtest/gtest.h> <gmock/gmock.h>)
set(_pipecheck_pch_gcc_options -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread
                               -Wno-restrict)

function(_pipecheck_pch_options target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE ${_pipecheck_pch_gcc_options})
  endif()
endfunction()

function(pipecheck_precompile target)
  cmake_parse_arguments(PARSE_ARGV 1 pch "GTEST" "" "")
  if(NOT PIPECHECK_PCH)
    return()
  endif()
  set(headers ${_pipecheck_pch_json})
  if(pch_GTEST)
    list(APPEND headers ${_pipecheck_pch_gtest})
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
  _pipecheck_pch_options(${target})
endfunction()

function(pipecheck_reuse_precompiled target from)
  if(PIPECHECK_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
    _pipecheck_pch_options(${target})
  endif()
endfunction()

function(pipecheck_precompile_library target)
  if(PIPECHECK_LIBRARY_PCH)
    pipecheck_precompile(${target})
  endif()
endfunction()
