# pipecheck_report_build_info(TARGET): what a report says about this build, for TARGET.
#   - pipecheck/harness/report_build_info.hpp, generated at configure time: the pipecheck version
#     (the schema, docs/formats/report.schema.json, is embedded by harness/CMakeLists.txt);
#   - kGitCommit (`git rev-parse HEAD`, "unknown" without git), captured at BUILD time by the
#     target pipecheck_report_git_commit (report_git_commit.cmake), so a commit made after
#     configuring is the one reported.
set(_pipecheck_report_build_info_dir ${CMAKE_CURRENT_LIST_DIR})
set(_pipecheck_git_commit_script ${CMAKE_CURRENT_LIST_DIR}/report_git_commit.cmake)  # next to this

function(pipecheck_report_build_info target)
  set(out_dir ${CMAKE_BINARY_DIR}/generated/report_build_info)
  configure_file(${_pipecheck_report_build_info_dir}/report_build_info.hpp.in
                 ${out_dir}/pipecheck/harness/report_build_info.hpp @ONLY)
  target_include_directories(${target} PRIVATE ${out_dir})

  find_package(Git QUIET)
  set(commit_cpp ${out_dir}/report_git_commit.cpp)
  add_custom_target(pipecheck_report_git_commit
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DGIT_EXECUTABLE=${GIT_EXECUTABLE}
            -DOUTPUT=${commit_cpp} -P ${_pipecheck_git_commit_script}
    BYPRODUCTS ${commit_cpp}
    COMMENT "Reading the git commit for reports"
    VERBATIM)
  target_sources(${target} PRIVATE ${commit_cpp})
  add_dependencies(${target} pipecheck_report_git_commit)
endfunction()
