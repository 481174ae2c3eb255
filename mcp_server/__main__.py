"""`python -m mcp_server` is the same as the `task-api-mcp` command."""

from mcp_server.cli import main

if __name__ == "__main__":
    main()
