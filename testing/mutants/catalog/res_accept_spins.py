"""On an accept error (EMFILE) the accept loop retries at once: a server spinning at 100 % CPU."""
REQUIREMENT = "RES-1"
CHECKS = {"resources": ["Resources.DescriptorExhaustion"]}


def apply(agent):
    agent.pause_after_accept_error = lambda wake_fd, backoff: backoff or 1e-9
