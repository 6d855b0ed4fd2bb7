"""An HTTP MCP upstream that records every request it receives.

Exists to prove the gateway never forwards the caller's credentials (their
`Authorization: Bearer ...` token, cookies, ...) to an upstream MCP server.
Built on the official MCP Python SDK (mcp 2.x, `MCPServer`), so the gateway is
tested against a Streamable HTTP server it did not write.

    .venv/bin/python recording_server.py --port PORT --record FILE

Serves MCP Streamable HTTP at http://127.0.0.1:PORT/mcp (stateless, JSON
responses, no Host/Origin checks). For EVERY HTTP request, before the SDK sees
it, one JSON line is appended to FILE and flushed:

    {"method": "POST", "path": "/mcp", "headers": {"<lowercased name>": "<value>"}}

Repeated headers are joined with ", ". Tools:
  whoami       text content: JSON object of this request's headers (lowercased names)
  add(a, b)    text content: a + b

Prints "listening on PORT" to stderr once the socket accepts connections
(with --port 0 the kernel-chosen port is printed). Exits 0 on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import json
import signal
import sys

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings


def header_dict(raw_headers):
    """ASGI [(bytes, bytes)] -> {lowercased name: value}, repeats joined."""
    out = {}
    for k, v in raw_headers:
        name, value = k.decode("latin-1").lower(), v.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


class RecordRequests:
    """ASGI middleware: append one JSON line per HTTP request to a file."""

    def __init__(self, app, path):
        self.app = app
        self.file = open(path, "a", encoding="utf-8")

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            line = {
                "method": scope["method"],
                "path": scope["path"],
                "headers": header_dict(scope["headers"]),
            }
            self.file.write(json.dumps(line) + "\n")
            self.file.flush()
        await self.app(scope, receive, send)


mcp = MCPServer(name="recording", version="1.0.0", log_level="WARNING")


# structured_output=False: plain text content only, no outputSchema/structuredContent.
@mcp.tool(description="Returns the headers of the HTTP request that carried this call.",
          structured_output=False)
def whoami(ctx: Context) -> str:
    # ctx.headers is the Starlette request's headers (None off HTTP).
    headers = ctx.headers or {}
    return json.dumps({k.lower(): v for k, v in headers.items()}, sort_keys=True)


@mcp.tool(description="Adds two integers.", structured_output=False)
def add(a: int, b: int) -> str:
    return str(a + b)


async def serve(port, record):
    app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,  # no Mcp-Session-Id; every POST stands alone
        json_response=True,  # application/json bodies instead of SSE
        # The SDK turns on DNS-rebinding protection for 127.0.0.1 by default;
        # the tests connect with whatever Host they like.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    config = uvicorn.Config(RecordRequests(app, record), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=3)  # don't wait forever on open GET streams
    server = uvicorn.Server(config)

    async def announce():
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1]
        print(f"listening on {bound}", file=sys.stderr, flush=True)

    announcer = asyncio.create_task(announce())
    await server.serve()
    announcer.cancel()
    if not server.started:
        sys.exit(1)  # e.g. port in use; uvicorn has logged why


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True, help="file to append request lines to")
    args = parser.parse_args()
    # uvicorn swaps in its own handlers while serving, shuts down gracefully,
    # then restores these and re-raises the signal: make that an exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    asyncio.run(serve(args.port, args.record))


if __name__ == "__main__":
    main()
