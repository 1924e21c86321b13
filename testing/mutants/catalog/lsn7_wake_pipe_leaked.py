"""Close leaks the listener's internal wake-up pipe (two descriptors per listener)."""
import os

REQUIREMENT = "LSN-7"
CHECKS = {"close": ["Close.AfterCloseNothingRemainsAndTheNameIsReusable"]}


def apply(agent):
    original = agent.Listener._teardown

    def teardown(self):
        class Os:
            def __getattr__(self, name):
                return getattr(os, name)

            def close(self, fd):
                pass  # the leak

        agent.os = Os()
        try:
            return original(self)
        finally:
            agent.os = os

    agent.Listener._teardown = teardown
