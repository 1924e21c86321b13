"""Close wakes the pending accepts only after 150 ms."""
import time

REQUIREMENT = "LSN-4"
CHECKS = {"close": ["Close.PendingAcceptsReturnClosedWithin100ms"]}


def apply(agent):
    original = agent.Listener._teardown
    real_write = agent.os.write

    def teardown(self):
        class Os:
            def __getattr__(self, name):
                return getattr(agent.real_os, name)

            def write(self, fd, data):
                time.sleep(0.15)
                return real_write(fd, data)

        agent.os = Os()
        try:
            return original(self)
        finally:
            agent.os = agent.real_os

    agent.real_os = agent.os
    agent.Listener._teardown = teardown
