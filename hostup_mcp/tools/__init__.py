"""The MCP surface: tool registration, the tools, and the text and errors the model reads."""
