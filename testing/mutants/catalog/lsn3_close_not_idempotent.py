"""Close is not idempotent: every caller tears the listener down again."""
REQUIREMENT = "LSN-3"
CHECKS = {"close": ["Close.ConcurrentAndRepeatedCloseTearDownOnce"]}


def apply(agent):
    def close(self):
        return self._teardown()

    agent.Listener.close = close
