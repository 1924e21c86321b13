# Run at build time (cmake -P) by the target pipecheck_report_git_commit (report_build_info.cmake):
# writes OUTPUT, the definition of pipecheck::harness::kGitCommit — `git rev-parse HEAD` of
# SOURCE_DIR, "unknown" without git — rewritten only when the commit changed, so a new commit
# relinks the harness without a reconfigure and an unchanged one rebuilds nothing.
cmake_minimum_required(VERSION 3.25)
set(commit unknown)
if(GIT_EXECUTABLE)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE status ERROR_QUIET)
  if(status EQUAL 0 AND head)
    set(commit ${head})
  endif()
endif()
file(CONFIGURE OUTPUT ${OUTPUT} @ONLY CONTENT
"// Generated at build time by cmake/report_git_commit.cmake; do not edit.
#include \"pipecheck/harness/report_build_info.hpp\"

namespace pipecheck::harness {
const char kGitCommit[] = \"@commit@\";
}  // namespace pipecheck::harness
")
