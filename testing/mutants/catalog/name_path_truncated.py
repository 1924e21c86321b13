"""A path over the 104-byte budget is truncated to fit instead of refused."""
REQUIREMENT = "NAME-6"
CHECKS = {"naming": ["Naming.PathOverTheBudgetIsRefusedNeverTruncated"]}


def apply(agent):
    original = agent.endpoint_for

    def endpoint_for(args, handshake):
        try:
            return original(args, handshake)
        except agent.AgentError as e:
            if e.code != "path_too_long":
                raise
            saved = agent.PATH_BUDGET
            agent.PATH_BUDGET = 1 << 20
            try:
                endpoint = original(args, handshake)
            finally:
                agent.PATH_BUDGET = saved
            endpoint["path"] = endpoint["path"][:saved - 1]
            return endpoint

    agent.endpoint_for = endpoint_for
