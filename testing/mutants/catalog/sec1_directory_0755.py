"""The endpoint directory is created 0755 (and its own 0755 directory is then accepted)."""
REQUIREMENT = "SEC-1"
CHECKS = {"unix": ["UnixOnly.DirectoryIs0700AndSocketIs0600"]}


def apply(agent):
    original_check = agent.check_directory

    def ensure_directory(directory):
        try:
            agent.os.mkdir(directory, 0o755)
        except FileExistsError:
            pass
        agent.os.chmod(directory, 0o755)

    def check_directory(directory, st):
        if agent.stat.S_IMODE(st.st_mode) == 0o755 and st.st_uid == agent.EUID:
            return
        original_check(directory, st)

    agent.ensure_directory = ensure_directory
    agent.check_directory = check_directory
