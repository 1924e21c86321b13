"""Neither side checks the peer's user: every peer looks like ourselves."""
REQUIREMENT = "SEC-4"
CHECKS = {"unix": ["UnixOnly.PeerOfAnotherUserIsRefused"]}
EXCUSE = "needs a second uid: root, or an unprivileged user namespace with a uid mapping"


def apply(agent):
    agent.peer_uid = lambda conn: agent.EUID
