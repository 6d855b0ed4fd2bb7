// Peer for the load benchmark: the MCP TypeScript SDK with one echo tool, stateless Streamable
// HTTP with JSON replies (a server and transport per request, as the SDK's stateless example
// does), the SDK's requireBearerAuth, and a REST /call/echo behind the same check.
// Usage: node ts_server.mjs PORT TOKEN
import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { z } from "zod";

const [port, token] = [Number(process.argv[2]), process.argv[3]];
const verifier = {
  async verifyAccessToken(presented) {
    if (presented !== token) throw new InvalidTokenError("unknown token");
    return { token, clientId: "bench", scopes: ["mcp:tools"], expiresAt: Math.floor(Date.now() / 1000) + 3600 };
  },
};
const auth = requireBearerAuth({ verifier, requiredScopes: ["mcp:tools"] });

function build() {
  const server = new McpServer({ name: "peer", version: "1.0.0" });
  server.registerTool("echo", { description: "Echo the message back.", inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: "text", text: message }] }));
  return server;
}

const app = express();
app.use(express.json());
app.post("/mcp", auth, async (req, res) => {
  const server = build();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => { transport.close(); server.close(); });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.post("/call/echo", auth, (req, res) => {
  res.json({ content: [{ type: "text", text: req.body.message }], isError: false });
});
app.listen(port, "127.0.0.1");
