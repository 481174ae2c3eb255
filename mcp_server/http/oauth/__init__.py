"""OAuth 2.1 resource server: this service accepts the JWT access tokens of one authorization server
(the MCP authorization spec), and tells clients where to get them (RFC 9728 metadata and the 401's
`WWW-Authenticate` challenge)."""
