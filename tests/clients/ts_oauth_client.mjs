// The official TypeScript SDK client's OAuth flow against hostup-mcp, with a person's part scripted: the SDK
// discovers, registers (or presents its client metadata document URL), sends the person to the authorization
// URL; this script then fills in the sign-in page as a browser would and hands the code back to the SDK.
// Usage: node ts_oauth_client.mjs scenario.json  ->  one JSON document on stdout.
// scenario: {"url": ".../mcp", "key": "<HostUp key>", "redirectUrl": "http://127.0.0.1:9/callback",
//            "clientMetadataUrl": optional, "vpsId": "vps_..."}
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const scenario = JSON.parse(readFileSync(process.argv[2], "utf8"));
const output = { steps: [] };
const step = (name, details = {}) => output.steps.push({ name, ...details });

class ScriptedProvider {
  constructor() {
    this.saved = { client: undefined, tokens: undefined, verifier: undefined };
    this.authorizationUrl = undefined;
    this.signInsAsked = 0;
    if (scenario.clientMetadataUrl) this.clientMetadataUrl = scenario.clientMetadataUrl;
  }
  get redirectUrl() { return scenario.redirectUrl; }
  state() { return "ts-state-1"; }
  get clientMetadata() {
    return {
      client_name: "TypeScript SDK test client",
      redirect_uris: [scenario.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() { return this.saved.client; }
  saveClientInformation(info) { this.saved.client = info; }
  tokens() { return this.saved.tokens; }
  saveTokens(tokens) { this.saved.tokens = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; this.signInsAsked += 1; }
  saveCodeVerifier(verifier) { this.saved.verifier = verifier; }
  codeVerifier() { return this.saved.verifier; }
  invalidateCredentials(scope) {
    if (scope === "all" || scope === "tokens") this.saved.tokens = undefined;
    if (scope === "all" || scope === "client") this.saved.client = undefined;
    if (scope === "all" || scope === "verifier") this.saved.verifier = undefined;
  }
}

// What a person does in the browser: open the URL, paste the key, submit; the code comes back on the redirect.
async function signIn(authorizationUrl) {
  const toSignIn = await fetch(authorizationUrl, { redirect: "manual" });
  const pageUrl = new URL(toSignIn.headers.get("location"), authorizationUrl);
  const page = await fetch(pageUrl, { redirect: "manual" });
  const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0];
  const html = await page.text();
  const field = (name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))[1].replaceAll("&amp;", "&");
  const form = new URLSearchParams({ ticket: field("ticket"), csrf: field("csrf"), key: scenario.key });
  const submitted = await fetch(new URL("/sign-in", pageUrl), {
    method: "POST", body: form, redirect: "manual", headers: { cookie },
  });
  const back = new URL(submitted.headers.get("location"));
  step("signed in", { status: submitted.status, returnedTo: back.origin + back.pathname, state: back.searchParams.get("state") });
  return back.searchParams.get("code");
}

async function connected(provider) {
  const client = new Client({ name: "hostup-mcp-ts-oauth-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(scenario.url), { authProvider: provider });
  await client.connect(transport);
  return { client, transport };
}

async function isoOwner(client) {
  const result = await client.callTool({ name: "list_vps_iso_media", arguments: { vps_id: scenario.vpsId } });
  return result.isError ? `error: ${JSON.stringify(result.content)}` : result.structuredContent.available[0].displayName;
}

const provider = new ScriptedProvider();
try {
  try {
    await connected(provider);
    step("connected without signing in"); // not expected
  } catch (error) {
    step("asked to sign in", { error: String(error?.message ?? error), registered: provider.saved.client !== undefined });
  }
  const transport = new StreamableHTTPClientTransport(new URL(scenario.url), { authProvider: provider });
  await transport.finishAuth(await signIn(provider.authorizationUrl));
  step("tokens", { access: Boolean(provider.saved.tokens?.access_token), refresh: Boolean(provider.saved.tokens?.refresh_token), clientId: provider.saved.client?.client_id });

  let { client } = await connected(provider);
  step("called", { owner: await isoOwner(client) });
  await client.close();

  // An access token the server no longer takes: the SDK must refresh on the 401, then call again.
  const before = provider.saved.tokens.refresh_token;
  provider.saved.tokens = { ...provider.saved.tokens, access_token: "expired-or-garbled" };
  ({ client } = await connected(provider));
  step("called after refresh", { owner: await isoOwner(client), rotated: provider.saved.tokens.refresh_token !== before });
  await client.close();

  const revoked = await fetch(new URL("/revoke", scenario.url), {
    method: "POST",
    body: new URLSearchParams({ token: provider.saved.tokens.refresh_token, client_id: provider.saved.client.client_id, client_secret: "" }),
  });
  step("revoked", { status: revoked.status });
  const asked = provider.signInsAsked;
  try {
    ({ client } = await connected(provider));
    step("called after revoke", { owner: await isoOwner(client) });
  } catch (error) {
    step("refused after revoke", { error: error?.constructor?.name, askedToSignInAgain: provider.signInsAsked > asked });
  }
} catch (error) {
  output.fatal = String(error?.stack ?? error);
}
process.stdout.write(JSON.stringify(output) + "\n");
