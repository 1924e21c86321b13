"""`PIPECHECK_ROOT` is ignored: without a `root` argument endpoints always go under /tmp."""
REQUIREMENT = "NAME-5"
CHECKS = {"naming": ["Naming.NameIsPrefixHashPid", "Naming.RootIsNeverHashed"]}


def apply(agent):
    original = agent.endpoint_for

    def endpoint_for(args, handshake):
        return original(args if args.get("root") else dict(args, root="/tmp"), handshake)

    agent.endpoint_for = endpoint_for
