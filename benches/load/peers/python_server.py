"""Peer for the load benchmark: the MCP Python SDK (MCPServer, formerly FastMCP) with one echo
tool, stateless Streamable HTTP with JSON replies, a bearer check through the SDK's own
TokenVerifier, and a REST `/call/echo` behind the same check. Usage: python_server.py PORT TOKEN
"""

import sys

import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from starlette.requests import Request
from starlette.responses import JSONResponse

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
BASE = f"http://127.0.0.1:{PORT}"


class StaticVerifier:
    async def verify_token(self, token: str) -> AccessToken | None:
        if token == TOKEN:
            return AccessToken(token=token, client_id="bench", scopes=["mcp:tools"])
        return None


options = {"issuer_url": BASE, "resource_server_url": f"{BASE}/mcp", "required_scopes": ["mcp:tools"]}
if "validate_token_resource" in AuthSettings.model_fields:  # the verifier checks the token itself
    options["validate_token_resource"] = False
auth = AuthSettings(**options)
server = Server("peer", token_verifier=StaticVerifier(), auth=auth, log_level="WARNING")


@server.tool()
def echo(message: str) -> str:
    """Echo the message back."""
    return message


@server.custom_route("/call/echo", methods=["POST"])
async def call_echo(request: Request) -> JSONResponse:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return JSONResponse({"error": "invalid_token"}, status_code=401)
    body = await request.json()
    return JSONResponse({"content": [{"type": "text", "text": body["message"]}], "isError": False})


try:
    app = server.streamable_http_app(json_response=True, stateless_http=True, host="127.0.0.1")
except TypeError:  # mcp 1.x takes these in the constructor
    server.settings.json_response = True
    server.settings.stateless_http = True
    app = server.streamable_http_app()
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
