# Unity (jumbo) builds of the libraries and multi-source programs (issue 14 §6: compile time).
# Every harness, agent and CLI source instantiates and compiles the same nlohmann::json templates
# again; compiling the sources of a target as a few translation units does that once per unit.
# A first report's build from empty: 5 min 49 s -> 3 min 28 s user CPU (docs/build-speed.md).
#
# PIPECHECK_UNITY is ON by default (the default, bench and asan presets) and OFF in ci, the presets
# that inherit it (windows, qemu-*), tsan and bench-windows. In ci every source is still compiled
# on its own, so a missing #include still fails CI; ci/test also builds ci/main's target in the
# default preset and the asan one with clang, so a unity clash fails CI too. tsan stays off: GCC
# shows libstdc++'s -Wtsan warnings of Boost.Asio through a unity unit. (The mingw build compiles
# as unity too, it is only not used there.) The sources of one target therefore must not define a name twice, even in
# an anonymous namespace, nor shadow a name of the target's headers: a name two sources need alike
# goes into an internal header, names that differ are named apart.
#
#   pipecheck_unity(TARGET [PER_UNIT])   TARGET's sources compiled as one translation unit, or
#                                        PER_UNIT sources to a unit. One unit per target, except
#                                        the harness library (two): the other targets and the
#                                        suites keep the second core busy meanwhile.
option(PIPECHECK_UNITY "Compile the libraries and multi-source programs as unity batches" ON)

function(pipecheck_unity target)
  set(per_unit 0)  # CMake's 0: every source in one unit
  if(ARGC GREATER 1)
    set(per_unit ${ARGV1})
  endif()
  if(PIPECHECK_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${per_unit})
  endif()
endfunction()
