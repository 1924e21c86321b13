"""Sockets owned by another uid are returned as live."""
REQUIREMENT = "DISC-5"
CHECKS = {"discovery": ["Discovery.ForeignSocketsAreNeverReturnedOrRemoved"]}
EXCUSE = "planting a socket of another uid needs root"


def apply(agent):
    original = agent.Agent.op_discover

    def op_discover(self, args):
        result = original(self, args)
        foreign = [r for r in result["rejected"] if r["reason"] == "foreign_owner"]
        for entry in foreign:
            result["rejected"].remove(entry)
            pid = agent.parse_entry_pid(entry["name"], entry["name"].rsplit("-", 1)[0] + "-")
            result["live"].append({"name": entry["name"], "pid": pid, "path": ""})
        return result

    agent.Agent.op_discover = op_discover
