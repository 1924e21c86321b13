"""Every PID counts as alive, so stale entries are reported live."""
REQUIREMENT = "DISC-6"
CHECKS = {"discovery": ["Discovery.StaleEntriesAreReportedAndOnlyOursReclaimed"]}


def apply(agent):
    agent.pid_alive = lambda pid: True
