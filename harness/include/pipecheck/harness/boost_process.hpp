// pipecheck/harness/boost_process.hpp — Boost.Process v2 for the code that spawns processes
// (the harness's agents, `pipecheck run`'s suites, the suite runner's tests).
//
// Include this instead of <boost/process/v2.hpp>: Boost 1.81 with BOOST_PROCESS_USE_STD_FS uses
// boost::optional, boost::remove_pointer and <type_traits> without including them.
//
//   #include "pipecheck/harness/boost_process.hpp"
//   namespace bp = boost::process::v2;
//   bp::process child(context, "/bin/true", {});
#pragma once

#include <boost/optional.hpp>
#include <boost/type_traits/remove_pointer.hpp>
#include <type_traits>

#include <boost/process/v2.hpp>
