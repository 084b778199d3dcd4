"""OAuth 2.1 for the remote server (HOSTUP_MCP_AUTH=oauth): this server is its users' authorization server,
and signing in means pasting one's HostUp key once. The key then lives only inside sealed tokens."""

SIGN_IN_PATH = "/sign-in"
AUTHORIZATION_SERVER_METADATA = "/.well-known/oauth-authorization-server"
# What a host may reach in OAuth mode besides /mcp: the SDK's metadata and endpoints, and the sign-in page.
OAUTH_PATHS = frozenset(
    {
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        AUTHORIZATION_SERVER_METADATA,
        "/authorize",
        "/token",
        "/register",
        "/revoke",
        SIGN_IN_PATH,
    }
)
