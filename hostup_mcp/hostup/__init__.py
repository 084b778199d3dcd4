"""Talking to HostUp: the HTTP client, its models and problems, and the demo sandbox. Knows nothing of MCP."""
