"""Dial-with-retry keeps retrying `busy` until twice its deadline."""
REQUIREMENT = "DIAL-5"
CHECKS = {"backlog": ["Backlog.RetryStopsAtItsDeadline"]}


def apply(agent):
    original = agent.DialJob._attempt

    def attempt(self):
        retry = self.options["retry"]
        if retry is None:
            return original(self)
        self.options = dict(self.options, retry=retry * 2)
        try:
            return original(self)
        finally:
            self.options = dict(self.options, retry=retry)

    agent.DialJob._attempt = attempt
