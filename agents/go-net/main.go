// Command go-net-agent is the pipecheck agent for Go's standard library `net` (Unix domain
// sockets), protocol v1 (docs/formats/agent-protocol.md). Standard library only.
//
//	echo '{"id":1,"op":"hello","args":{"protocol":1}}' | go-net-agent
package main

import "os"

func main() {
	serve(newAgent(), os.Stdin, os.Stdout)
	os.Exit(0)
}
