"""Live endpoints are returned in descending PID order."""
REQUIREMENT = "DISC-2"
CHECKS = {"discovery": ["Discovery.FindsExactlyTheLiveEndpointsOfItsHash", "Discovery.FindsOtherProcessesAndClosedOnesDisappear"]}


def apply(agent):
    original = agent.Agent.op_discover

    def op_discover(self, args):
        result = original(self, args)
        result["live"].sort(key=lambda e: -e["pid"])
        return result

    agent.Agent.op_discover = op_discover
