// Drives hostup-mcp with the official TypeScript SDK client (what Node-based hosts and IDEs build on).
// Usage: node ts_client.mjs scenario.json  ->  one JSON document on stdout:
//   {"tools": [...], "results": [{"tool", "ok": true, "result"} | {"tool", "ok": false, "error"}], "asked": [...]}
// scenario: {"stdio": {"command", "args", "env"}} or {"http": {"url", "headers"}},
//           "calls": [{"tool", "arguments"}], "answers": [ElicitResult, ...] (declares elicitation when given)
// A call that throws is recorded, not fatal: the Python test decides what counts as a failure.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const scenario = JSON.parse(readFileSync(process.argv[2], "utf8"));
const answers = scenario.answers ?? null;
const capabilities = answers ? { elicitation: { form: {} } } : {};
const client = new Client({ name: "hostup-mcp-ts-test", version: "1.0.0" }, { capabilities });
const asked = [];
if (answers) {
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params);
    return answers.shift() ?? { action: "cancel" };
  });
}

const transport = scenario.http
  ? new StreamableHTTPClientTransport(new URL(scenario.http.url), {
      requestInit: { headers: scenario.http.headers ?? {} },
    })
  : new StdioClientTransport({ ...scenario.stdio, stderr: "ignore" });

const output = { tools: [], results: [], asked };
try {
  await client.connect(transport);
  output.tools = (await client.listTools()).tools; // also primes the output-schema validators
  for (const call of scenario.calls) {
    try {
      const result = await client.callTool({ name: call.tool, arguments: call.arguments ?? {} });
      output.results.push({ tool: call.tool, ok: true, result });
    } catch (error) {
      output.results.push({ tool: call.tool, ok: false, error: String(error?.message ?? error) });
    }
  }
} catch (error) {
  output.fatal = String(error?.message ?? error);
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(output) + "\n");
