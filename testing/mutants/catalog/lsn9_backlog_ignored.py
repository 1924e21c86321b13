"""The listener ignores `queue_size` and listens with a backlog of 128."""
REQUIREMENT = "LSN-9"
CHECKS = {"backlog": ["Backlog.QueueSizeIsHonoured"]}


def apply(agent):
    original = agent.Listener.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.queue_size = 128

    agent.Listener.__init__ = init
