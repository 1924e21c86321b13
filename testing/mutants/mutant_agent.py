#!/usr/bin/env python3
"""Runs the Python agent (agents/python/agent.py) with one mutant applied.

A mutant is a module in catalog/ with an `apply(agent)` function that patches exactly one
semantic fault into the agent module (see README.md). `baseline` applies nothing: it is the
unmutated agent under the same launcher, so a check that fails on it cannot credit a kill.

    python3 testing/mutants/mutant_agent.py lsn2_one_accept_worker   # then speak protocol v1
"""

import importlib.util
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
AGENT = HERE.parent.parent / "agents" / "python" / "agent.py"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main():
    if len(sys.argv) != 2:
        print("usage: mutant_agent.py MUTANT|baseline", file=sys.stderr)
        return 2
    name = sys.argv[1]
    agent = load(AGENT, "pipecheck_python_agent")
    if name != "baseline":
        path = HERE / "catalog" / f"{name}.py"
        if not path.is_file():
            print(f"mutant_agent.py: no mutant '{name}' ({path} does not exist)", file=sys.stderr)
            return 2
        load(path, f"mutant_{name}").apply(agent)
    return agent.main()


if __name__ == "__main__":
    sys.exit(main())
