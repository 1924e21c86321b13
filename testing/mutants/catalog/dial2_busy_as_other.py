"""A full backlog (EAGAIN) is classified `other` instead of `busy`."""
import errno

REQUIREMENT = "DIAL-2"
CHECKS = {"unix": ["UnixOnly.DialOutcomesAgainstASuiteListener"]}


def apply(agent):
    original = agent.classify

    def classify(err):
        return "other" if err in (errno.EAGAIN, errno.EWOULDBLOCK) else original(err)

    agent.classify = classify
