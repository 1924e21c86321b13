#!/usr/bin/env python3
"""Mutation self-test: runs the conformance checks that matter to each mutant of the Python agent
and reports which checks kill which mutant, which survive, and the kill rate.

Every mutant in catalog/ names its requirement, the checks that should kill it (suite label and
GoogleTest filter patterns) and, if it cannot be caught on this platform, why (EXCUSE). The same
checks also run against the unmutated agent (`baseline`): a check that does not pass there
credits no kill. A mutant is `killed` when one of its checks fails or errors, `excused` when it
survives with an EXCUSE, else `survived`; a survivor fails the run (exit 1). The report format is
docs/formats/mutation-report.md.

    testing/mutants/run.py --build-dir build/ci --report build/ci/reports/mutants.json
    testing/mutants/run.py --build-dir build/ci --report out.json --full   # every check, slow
"""

import argparse
import concurrent.futures
import datetime
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
FORMAT = "pipecheck-mutation-report"
SUITE_TIMEOUT_S = 300  # one suite executable against one mutant
LOG_TAIL = 2000


def load_catalog(only):
    mutants = []
    for path in sorted((HERE / "catalog").glob("*.py")):
        name = path.stem
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location(f"catalog_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        problems = [field for field in ("REQUIREMENT", "CHECKS", "apply")
                    if not hasattr(module, field)]
        if problems or not (module.__doc__ or "").strip():
            sys.exit(f"{path}: a mutant needs a docstring, REQUIREMENT, CHECKS and apply(); "
                     f"missing {', '.join(problems) or 'the docstring'}")
        checks = module.CHECKS
        if not isinstance(checks, dict) or not checks or not all(
                isinstance(v, list) and v for v in checks.values()):
            sys.exit(f"{path}: CHECKS must map a suite label to a non-empty list of filters")
        mutants.append({"name": name, "requirement": module.REQUIREMENT,
                        "family": module.REQUIREMENT.split("-")[0],
                        "description": module.__doc__.strip().splitlines()[0],
                        "checks": checks, "excuse": getattr(module, "EXCUSE", None)})
    if only and len(mutants) != len(only):
        missing = set(only) - {m["name"] for m in mutants}
        sys.exit(f"--only: no mutant named {', '.join(sorted(missing))} in {HERE / 'catalog'}")
    return mutants


def registry_name(index):
    """Registry names are at most 32 characters: mutants are numbered, the baseline is 0."""
    return f"mutant-{index:03d}"


def write_registry(path, names):
    """A registry with the baseline and every mutant, each as the Python agent's entry."""
    registry = json.loads((SOURCE / "fixtures" / "impls.json").read_text())
    python = next(i for i in registry["implementations"] if i["name"] == "python")
    entries = []
    for index, name in enumerate(names):
        entry = dict(python)
        entry["name"] = registry_name(index)
        entry["description"] = f"The Python agent with mutant '{name}' (testing/mutants)"
        entry["command"] = ["python3", "${SOURCE_DIR}/testing/mutants/mutant_agent.py", name]
        entries.append(entry)
    path.write_text(json.dumps({"implementations": entries}, indent=1))


def run_suite(build_dir, registry, out_dir, implementation, suite, filters):
    """Runs one suite executable against one implementation; returns {check id: status}."""
    executable = build_dir / "suites" / f"suite_{suite}"
    report = out_dir / f"{implementation}.{suite}.json"
    env = dict(os.environ, PIPECHECK_IMPLS=implementation, PIPECHECK_REGISTRY=str(registry),
               PIPECHECK_REPORT=str(report), PIPECHECK_SOURCE_DIR=str(SOURCE),
               PIPECHECK_BUILD_DIR=str(build_dir))
    command = [str(executable)]
    if filters:
        command.append("--gtest_filter=" + ":".join(f"*{f}*" for f in filters))
    began = time.monotonic()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=SUITE_TIMEOUT_S, errors="replace")
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired as e:
        output = f"timed out after {SUITE_TIMEOUT_S} s\n" + str(e.stdout or "")
    seconds = time.monotonic() - began
    statuses = {}
    try:
        for check in json.loads(report.read_text())["checks"]:
            statuses[check["id"].rsplit("/", 1)[0]] = check["status"]
    except (OSError, ValueError, KeyError) as e:
        statuses[f"{suite}:<report>"] = "error"
        output += f"\nno readable report {report}: {e}"
    return {"statuses": statuses, "seconds": seconds, "log": output[-LOG_TAIL:]}


def build_report(mutants, results, mode, elapsed_s, finished_at):
    """The report (docs/formats/mutation-report.md) from the catalog and the suite runs:
    `results` maps (mutant name or "baseline", suite label) to run_suite()'s result."""
    baseline = {}
    for (name, suite), result in results.items():
        if name == "baseline":
            baseline.update(result["statuses"])
    entries = []
    for mutant in mutants:
        killed_by, not_credited, seconds, logs = [], [], 0.0, []
        for suite in mutant["checks"]:
            result = results[(mutant["name"], suite)]
            seconds += result["seconds"]
            for check, status in sorted(result["statuses"].items()):
                if status not in ("fail", "error"):
                    continue
                if baseline.get(check) == "pass":
                    killed_by.append(check)
                else:
                    not_credited.append({"check": check, "baseline": baseline.get(check, "absent")})
            if not killed_by:
                logs.append(result["log"])
        status = "killed" if killed_by else "excused" if mutant["excuse"] else "survived"
        entry = {"name": mutant["name"], "requirement": mutant["requirement"],
                 "family": mutant["family"], "description": mutant["description"],
                 "status": status, "killed_by": killed_by, "seconds": round(seconds, 1)}
        if not_credited:
            entry["not_credited"] = not_credited
        if mutant["excuse"]:
            entry["excuse"] = mutant["excuse"]
        if status == "survived":
            entry["log_tail"] = "\n".join(logs)[-LOG_TAIL:]
        entries.append(entry)

    killed = sum(e["status"] == "killed" for e in entries)
    excused = sum(e["status"] == "excused" for e in entries)
    survived = sum(e["status"] == "survived" for e in entries)
    scored = len(entries) - excused
    families = {}
    for e in entries:
        family = families.setdefault(e["family"], {"mutants": 0, "killed": 0})
        family["mutants"] += 1
        family["killed"] += e["status"] == "killed"
    return {
        "format": FORMAT, "format_version": 1, "agent": "python", "mode": mode,
        "finished_at": finished_at, "elapsed_s": elapsed_s,
        "baseline": {check: status for check, status in sorted(baseline.items())},
        "mutants": entries,
        "families": families,
        "summary": {"mutants": len(entries), "killed": killed, "survived": survived,
                    "excused": excused,
                    "kill_rate": round(killed / scored, 4) if scored else None},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path)
    parser.add_argument("--report", required=True, type=pathlib.Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--full", action="store_true",
                        help="run every check of every suite named by any mutant")
    parser.add_argument("--only", nargs="*", default=[], help="these mutants only")
    options = parser.parse_args()
    build_dir = options.build_dir.resolve()
    mutants = load_catalog(options.only)
    began = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="pc-mutants-") as scratch:
        scratch = pathlib.Path(scratch)
        registry = scratch / "registry.json"
        write_registry(registry, ["baseline"] + [m["name"] for m in mutants])
        suites_of = {}
        for mutant in mutants:
            for suite, filters in mutant["checks"].items():
                suites_of.setdefault(suite, set()).update(filters)
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            for suite, filters in sorted(suites_of.items()):
                chosen = [] if options.full else sorted(filters)
                jobs[("baseline", suite)] = pool.submit(run_suite, build_dir, registry, scratch,
                                                        registry_name(0), suite, chosen)
            for index, mutant in enumerate(mutants, 1):
                for suite, filters in mutant["checks"].items():
                    chosen = [] if options.full else filters
                    jobs[(mutant["name"], suite)] = pool.submit(
                        run_suite, build_dir, registry, scratch, registry_name(index), suite,
                        chosen)
            results = {key: job.result() for key, job in jobs.items()}

    report = build_report(mutants, results, "full" if options.full else "targeted",
                          round(time.monotonic() - began, 1),
                          datetime.datetime.now(datetime.timezone.utc).strftime(
                              "%Y-%m-%dT%H:%M:%SZ"))
    entries = report["mutants"]
    killed, excused, survived = (report["summary"][k] for k in ("killed", "excused", "survived"))
    scored = report["summary"]["mutants"] - excused
    if "pass" not in report["baseline"].values():
        print("no check passes against the unmutated agent: the suites or the agent are broken",
              file=sys.stderr)
        print(next(iter(results.values()))["log"], file=sys.stderr)
        return 2
    options.report.parent.mkdir(parents=True, exist_ok=True)
    options.report.write_text(json.dumps(report, indent=1) + "\n")

    for e in entries:
        detail = ", ".join(e["killed_by"]) if e["killed_by"] else e.get("excuse", "")
        print(f"{e['status']:9} {e['name']:40} {e['requirement']:8} {detail}")
    summary = report["summary"]
    print(f"kill rate {killed}/{scored} ({100 * (summary['kill_rate'] or 0):.1f} %), "
          f"{excused} excused, {survived} survived, {report['elapsed_s']} s -> {options.report}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
