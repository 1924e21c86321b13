# pipecheck_report_build_info(TARGET): generates pipecheck/harness/report_build_info.hpp for
# TARGET at configure time — the pipecheck version, the git commit (`git rev-parse HEAD`,
# "unknown" without git) and docs/formats/report.schema.json as a string — and adds its directory
# to TARGET's include path. Re-runs when the schema changes.
set(_pipecheck_report_build_info_dir ${CMAKE_CURRENT_LIST_DIR})

function(pipecheck_report_build_info target)
  set(schema_file ${PROJECT_SOURCE_DIR}/docs/formats/report.schema.json)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${schema_file})
  file(READ ${schema_file} PIPECHECK_REPORT_SCHEMA)

  set(PIPECHECK_GIT_COMMIT unknown)
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE status ERROR_QUIET)
    if(status EQUAL 0 AND commit)
      set(PIPECHECK_GIT_COMMIT ${commit})
    endif()
  endif()

  set(out_dir ${CMAKE_BINARY_DIR}/generated/report_build_info)
  configure_file(${_pipecheck_report_build_info_dir}/report_build_info.hpp.in
                 ${out_dir}/pipecheck/harness/report_build_info.hpp @ONLY)
  target_include_directories(${target} PRIVATE ${out_dir})
endfunction()
