module pipecheck.invalid/agents/go-net

go 1.19
