"""Reclaiming deletes a dead-PID socket without checking that a connect is refused."""
REQUIREMENT = "DISC-7"
CHECKS = {"discovery": ["Discovery.ReclaimProbesBeforeDeleting"]}


def apply(agent):
    agent.connect_refused = lambda path: True
