"""The listener ignores `accept_workers` and runs a single accept thread."""
REQUIREMENT = "LSN-2"
CHECKS = {"close": ["Close.IdleListenerCountsEveryPendingAccept"]}


def apply(agent):
    original = agent.Listener.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.accept_workers = min(self.accept_workers, 1)

    agent.Listener.__init__ = init
