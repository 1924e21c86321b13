"""On an accept error (EMFILE) the accept loop retries at once: a server spinning at 100 % CPU."""
REQUIREMENT = "RES-1"
CHECKS = {"resources": ["Resources.DescriptorExhaustion"]}


def apply(agent):
    real_sleep = agent.time.sleep

    class Time:
        def __getattr__(self, name):
            return getattr(agent.real_time, name)

        def sleep(self, seconds):
            if seconds != 0.001:  # the accept loop's back-off
                real_sleep(seconds)

    agent.real_time = agent.time
    agent.time = Time()
