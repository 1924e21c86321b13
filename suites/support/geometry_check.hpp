// geometry_check.hpp — a geometry of fixtures/geometries/ run as a conformance check.
//
// The backlog suite (every geometry, every server × client pair) and the interop suite (one small
// geometry per pair) share this: implementations resolve through the registry of the run (the
// one `pipecheck run --registry` or $PIPECHECK_REGISTRY names, as for every other check), the
// geometry run goes to the report's `geometries[]` in one shape, and agent errors end the check
// the same way (all `unsupported`: unsupported; any other: error).
//
//   PIPECHECK_CHECK(Interop, Backlog) {  // the geometry file names the requirement ids
//     const harness::Geometry geometry = load_geometry_fixture("interop/interop-backlog.json");
//     check_geometry(geometry, server_impl(), client_impl());
//   }
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "pipecheck/harness/geometry.hpp"

namespace pipecheck::suites {

// fixtures/geometries/{relative}, loaded and validated (errors name the file and the field).
harness::Geometry load_geometry_fixture(std::string_view relative);

// Runs `geometry` with servers of implementation `server` and clients of `client`, records both
// roles, the geometry run and its figures (busy_rate, latency_us, accepts_per_s, wall_ms,
// outcomes) in the report, then ends the check: `unsupported` when every agent error says
// `unsupported`, `error` for any other agent error (crash, hang, garbage), a failure for attempts
// not accounted for and for each expectation of the geometry the result misses. `more` runs
// last, with the result, when the check has not ended yet (for checks of one geometry only).
void check_geometry(const harness::Geometry& geometry, const std::string& server,
                    const std::string& client,
                    const std::function<void(const harness::GeometryResult&)>& more = {});

}  // namespace pipecheck::suites
