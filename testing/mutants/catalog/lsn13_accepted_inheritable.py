"""Accepted connections are inheritable (no FD_CLOEXEC): they leak into child processes."""
REQUIREMENT = "LSN-13"
CHECKS = {"unix": ["UnixOnly.EveryDescriptorIsCloseOnExec"]}


def apply(agent):
    original = agent.Listener._serve

    def serve(self, conn):
        conn.set_inheritable(True)
        return original(self, conn)

    agent.Listener._serve = serve
