"""The server accepts a HELLO with any hash."""
REQUIREMENT = "WIRE-2"
CHECKS = {"wire": ["Wire.ServerAcceptsItsHashAndRejectsOthers"]}


def apply(agent):
    original = agent.read_wire_line

    def read_wire_line(conn, deadline):
        line, problem = original(conn, deadline)
        if line is not None and line.startswith("PIPECHECK/1 HELLO "):
            line = "PIPECHECK/1 HELLO " + agent.current_hash
        return line, problem

    original_serve = agent.Listener._serve

    def serve(self, conn):
        agent.current_hash = self.hash
        return original_serve(self, conn)

    agent.read_wire_line = read_wire_line
    agent.Listener._serve = serve
