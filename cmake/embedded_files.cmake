# pipecheck_embed_files(TARGET NAME <function> FILES <file>...): compiles FILES into TARGET as
#   const std::vector<std::pair<std::string_view, std::string_view>>&
#   pipecheck::harness::detail::<function>();   // {file name, text}, in the order given
# The one way schemas get into the programs (harness/src/embedded_files.hpp declares them): the
# source file is generated at build time (embed_files_script.cmake) and again whenever one of
# FILES changes, so nothing reads the source tree at run time and no reconfigure is needed.
set(_pipecheck_embed_script ${CMAKE_CURRENT_LIST_DIR}/embed_files_script.cmake)

function(pipecheck_embed_files target)
  cmake_parse_arguments(PARSE_ARGV 1 embed "" "NAME" "FILES")
  if(NOT embed_NAME OR NOT embed_FILES)
    message(FATAL_ERROR "pipecheck_embed_files(${target}): NAME and FILES are required")
  endif()
  set(output ${CMAKE_CURRENT_BINARY_DIR}/generated/${embed_NAME}.cpp)
  list(JOIN embed_FILES "|" files)  # one -D argument
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DNAME=${embed_NAME} -DFILES=${files} -DOUTPUT=${output}
            -P ${_pipecheck_embed_script}
    DEPENDS ${embed_FILES} ${_pipecheck_embed_script}
    COMMENT "Embedding ${embed_NAME}"
    VERBATIM)
  target_sources(${target} PRIVATE ${output})
endfunction()
