"""Dial-with-retry also retries `refused` (on Linux a refused connect is final)."""
REQUIREMENT = "DIAL-5"
CHECKS = {"backlog": ["Backlog.RetryStopsAtItsDeadline"]}


def apply(agent):
    original = agent.classify

    def classify(err):
        outcome = original(err)
        return "busy" if outcome == "refused" else outcome

    agent.classify = classify
