"""`pipecheck run --registry FILE` reaches every check: every suite runs against `my-impl`, a
renamed copy of the reference agent registered only in a private registry, and no check of any
suite ends as an `error` (an implementation a check cannot find is an `error` "unknown
implementation"). Each suite of the manifest must contribute checks, and every check names
`my-impl`."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from cli_support import Checks, read_valid_report

RUN_BOUND_S = 900  # every suite, one after the other
NAME = "my-impl"


def arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipecheck", required=True, help="the pipecheck executable")
    parser.add_argument("--fixtures", required=True, help="the fixtures/ directory")
    parser.add_argument("--agent", required=True, help="the reference agent to copy")
    parser.add_argument("--manifest", required=True, help="the build's suites/manifest.json")
    return parser.parse_args()


def private_registry(fixtures, agent_copy):
    """A registry holding only the reference entry, renamed and pointing at the copy."""
    with open(os.path.join(fixtures, "impls.json"), encoding="utf-8") as f:
        shared = json.load(f)
    reference = next(i for i in shared["implementations"] if i["name"] == "reference")
    mine = dict(reference, name=NAME, command=[agent_copy],
                description="the reference agent under another name, registered privately")
    return {"implementations": [mine]}


def main():
    args = arguments()
    checks = Checks()
    with open(args.manifest, encoding="utf-8") as f:
        suites = [(suite["name"], suite["labels"][-1]) for suite in json.load(f)["suites"]]
    with tempfile.TemporaryDirectory(prefix="pc-private-") as scratch:
        agent_copy = os.path.join(scratch, "my-impl-agent")
        shutil.copy2(args.agent, agent_copy)
        registry = os.path.join(scratch, "private-impls.json")
        with open(registry, "w", encoding="utf-8") as f:
            json.dump(private_registry(args.fixtures, agent_copy), f)
        report_file = os.path.join(scratch, "report.json")
        env = dict(os.environ)
        env.pop("PIPECHECK_REGISTRY", None)
        env.pop("PIPECHECK_IMPLS", None)
        run = subprocess.run(
            [args.pipecheck, "run", "--impl", NAME, "--registry", registry,
             "--report", report_file],
            capture_output=True, timeout=RUN_BOUND_S, env=env)
        output = run.stdout.decode("utf-8", "replace") + run.stderr.decode("utf-8", "replace")
        report = read_valid_report([args.pipecheck], report_file, checks, output)
        if report is None:
            return checks.finish()
        all_checks = report.get("checks", [])
        errors = [(c.get("id"), c.get("message", "")[:300]) for c in all_checks
                  if c.get("status") == "error"]
        checks.expect(not errors, f"no check ends as `error` with {NAME} from a private registry",
                      json.dumps(errors, indent=1)[:4000])
        for suite, label in suites:
            # A suite's check ids start with its family, named like its label (Close/..., close).
            ran = [c for c in all_checks if c.get("id", "").split("/")[0].lower() == label]
            checks.expect(ran, f"{suite} ran its checks against {NAME}", output[-1500:])
        mine = [c for c in all_checks if NAME in c.get("implementations", {}).values()]
        checks.expect(len(mine) > 0 and len(mine) == len(all_checks),
                      f"every check names {NAME} (and nothing else) as its implementation",
                      [c.get("id") for c in all_checks if c not in mine][:20])
        for family in ("Backlog/Geometry.MeetsItsExpectations/", "Interop/Interop.Backlog/"):
            ran = [c for c in all_checks if c.get("id", "").startswith(family)]
            checks.expect(ran and all(c.get("status") != "error" for c in ran),
                          f"{family}*: run against {NAME}",
                          [(c.get("id"), c.get("status")) for c in ran])
        runs = report.get("runs", [])
        checks.expect(runs and runs[0].get("state") == "complete", "the run is complete",
                      output[-2000:])
        print(f"{len(all_checks)} checks, statuses: " + json.dumps(
            {s: sum(1 for c in all_checks if c.get("status") == s)
             for s in ("pass", "fail", "skip", "unsupported", "error")}))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
