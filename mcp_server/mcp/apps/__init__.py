"""MCP Apps (the `io.modelcontextprotocol/ui` extension): the task list as a view a host renders in
the chat, from the `ui://` resource `list_tasks` links to."""
