// pipecheck/harness/report_junit.hpp — a report as JUnit XML, the form Jenkins, GitLab and GitHub
// test reporters read (docs/formats/junit.xsd describes exactly what is written).
//
// One <testsuite> per suite (the check id before the first '.'), one <testcase> per check:
// classname "{suite}.{implementations}", name "{rest of the id} [{implementations} @ {leg}]",
// requirement ids (and roles, leg, run) as <property> elements; fail → <failure>, error →
// <error>, skip and unsupported → <skipped> (message "unsupported: ..."), each with the whole
// message as text; agents' stderr tails in <system-err>. Text is valid UTF-8 without the
// characters XML 1.0 forbids.
//
//   pipecheck::harness::write_file_atomically("junit.xml", pipecheck::harness::junit_xml(report));
#pragma once

#include <string>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

std::string junit_xml(const Report& report);

}  // namespace pipecheck::harness
