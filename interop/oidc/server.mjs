#!/usr/bin/env node
// A real authorization server and a small MCP resource server on 127.0.0.1, for the
// mcp-oauth interop tests (crates/mcp-oauth-interop, run by `cargo xtask interop`).
//
// - Authorization server: oidc-provider (certified OpenID provider), open dynamic registration
//   at /reg, PKCE required (S256), RFC 8707 resource indicators issuing JWT access tokens whose
//   `aud` is the MCP resource, refresh tokens rotated on every use (reuse is rejected), RFC 9207
//   `iss` in every authorization response, automatic login and consent (no person needed).
// - Resource server (node:http): PRM (RFC 9728), a minimal MCP JSON-RPC endpoint at /mcp
//   (initialize, notifications/initialized, tools/list, tools/call echo); bearer JWTs checked
//   for signature (the provider's JWKS), `iss`, `aud`, `exp`, `typ` and scope; 401 with
//   `WWW-Authenticate: Bearer resource_metadata="…"`.
// - A mix-up route: /mcp-mixup's PRM names the authorization server
//   http://127.0.0.1:<rs>/mixup, whose metadata is the provider's own with only `issuer`
//   rewritten. The provider then answers with its real `iss`, which a correct client must
//   refuse (RFC 9207 §2.4) before any token request.
// - GET /_stats on the resource server: request counters, the claims of every accepted token
//   and the reason (jose error code) for every rejected one (test evidence; no token values).
//
// Both servers listen on ephemeral ports. The first stdout line is one JSON object with the
// URLs. The process exits when its standard input closes (the test harness holds it open).
//
// Environment: ACCESS_TOKEN_TTL (seconds, default 600).

import http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const SCOPE = 'mcp:tools';
const ACCESS_TOKEN_TTL = Number(process.env.ACCESS_TOKEN_TTL ?? 600);
const HOST = '127.0.0.1';

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve(server.address().port));
  });
}

const asServer = http.createServer();
const rsServer = http.createServer();
const asPort = await listen(asServer);
const rsPort = await listen(rsServer);

const ISSUER = `http://${HOST}:${asPort}`;
const RS = `http://${HOST}:${rsPort}`;
const RESOURCE = `${RS}/mcp`;
const MIXUP_RESOURCE = `${RS}/mcp-mixup`;
const MIXUP_ISSUER = `${RS}/mixup`;
const RESOURCES = [RESOURCE, MIXUP_RESOURCE];

const stats = {
  authorize: 0,
  register: 0,
  token: { authorization_code: 0, refresh_token: 0, other: 0 },
  token_errors: [],
  authorization_requests: [],
  registrations: [],
  token_requests: [],
  mcp: {},
  accepted_tokens: [],
  rejected_tokens: [],
  mixup_metadata: 0,
};

const provider = new Provider(ISSUER, {
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true }, // RFC 7591, open (no initial access token)
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (!RESOURCES.includes(indicator)) throw new errors.InvalidTarget();
        return {
          scope: SCOPE,
          audience: indicator,
          accessTokenTTL: ACCESS_TOKEN_TTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  scopes: ['openid', 'offline_access', SCOPE],
  pkce: { required: () => true }, // S256 only
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true, // every refresh rotates; the old one is then rejected
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

// Counters (evidence for the tests: which requests reached the authorization server).
// Parameters are recorded by name or shape only (never codes, verifiers or tokens).
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/auth') stats.authorize += 1;
  if (ctx.method === 'POST' && ctx.path === '/reg') stats.register += 1;
  const sentScope = ctx.path === '/auth' ? ctx.query.scope : undefined; // before any rewriting
  await next();
  const p = ctx.oidc?.params ?? {};
  if (ctx.method === 'GET' && ctx.path === '/auth') {
    stats.authorization_requests.push({
      response_type: p.response_type, code_challenge_method: p.code_challenge_method,
      has_code_challenge: Boolean(p.code_challenge), has_state: Boolean(p.state),
      resource: p.resource, sent_scope: sentScope, scope: p.scope, redirect_uri: p.redirect_uri,
    });
  }
  if (ctx.method === 'POST' && ctx.path === '/reg') {
    const b = ctx.oidc?.body ?? {};
    stats.registrations.push({
      application_type: b.application_type, token_endpoint_auth_method: b.token_endpoint_auth_method,
      grant_types: b.grant_types, response_types: b.response_types, redirect_uris: b.redirect_uris,
      client_name: b.client_name, status: ctx.status,
    });
  }
  if (ctx.method === 'POST' && ctx.path === '/token') {
    const grant = p.grant_type;
    if (grant in stats.token && grant !== 'other') stats.token[grant] += 1;
    else stats.token.other += 1;
    stats.token_requests.push({
      grant_type: grant, resource: p.resource, has_code_verifier: Boolean(p.code_verifier),
      status: ctx.status,
    });
    if (ctx.status >= 400) stats.token_errors.push({ grant_type: grant, error: ctx.body?.error });
  }
});

// An authorization request without `scope` is refused by oidc-provider; default it to the
// resource's scope so clients that omit an unknown scope keep working.
provider.use(async (ctx, next) => {
  if (ctx.path === '/auth' && ctx.method === 'GET' && !ctx.query.scope) {
    ctx.query = { ...ctx.query, scope: SCOPE };
  }
  return next();
});

// Automatic login and consent for a fixed test user.
provider.use(async (ctx, next) => {
  if (!/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  const { prompt, params, session, grantId } = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (prompt.name === 'login') {
    result = { login: { accountId: 'test-user' } };
  } else {
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
});

asServer.on('request', provider.callback());

// ---- resource server ----

const JWKS = createRemoteJWKSet(new URL(`${ISSUER}/jwks`));

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  });
  res.end(text);
}

function prmUrl(resource) {
  return `${RS}/.well-known/oauth-protected-resource${new URL(resource).pathname}`;
}

function unauthorized(res, resource, error) {
  const params = [`resource_metadata="${prmUrl(resource)}"`, `scope="${SCOPE}"`];
  if (error) params.unshift(`error="${error}"`);
  send(res, 401, { error: error ?? 'unauthorized' }, { 'www-authenticate': `Bearer ${params.join(', ')}` });
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 1 << 20) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

let mixupMetadata;
async function mixupAsMetadata() {
  if (!mixupMetadata) {
    const r = await fetch(`${ISSUER}/.well-known/openid-configuration`);
    mixupMetadata = { ...(await r.json()), issuer: MIXUP_ISSUER };
  }
  return mixupMetadata;
}

function count(path, status) {
  const key = `${path} ${status}`;
  stats.mcp[key] = (stats.mcp[key] ?? 0) + 1;
}

async function mcp(req, res, resource, path) {
  if (req.method !== 'POST') {
    count(path, 405);
    return send(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
  }
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(auth);
  if (!m) {
    count(path, 401);
    return unauthorized(res, resource);
  }
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(m[1], JWKS, {
      issuer: ISSUER,
      audience: resource,
      typ: 'at+jwt',
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat', 'client_id'],
    }));
    if (!String(claims.scope ?? '').split(' ').includes(SCOPE)) throw new Error('scope');
  } catch (e) {
    stats.rejected_tokens.push(e?.code ?? 'insufficient scope');
    count(path, 401);
    return unauthorized(res, resource, 'invalid_token');
  }
  stats.accepted_tokens.push({
    aud: claims.aud, iss: claims.iss, scope: claims.scope, client_id: claims.client_id,
    jti: claims.jti, exp: claims.exp,
  });
  let msg;
  try {
    msg = JSON.parse(await readBody(req));
  } catch {
    count(path, 400);
    return send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
  }
  const reply = (result) => {
    count(path, 200);
    send(res, 200, { jsonrpc: '2.0', id: msg.id, result });
  };
  switch (msg.method) {
    case 'initialize':
      return reply({
        protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'mcp-oauth-interop-rs', version: '1.0.0' },
      });
    case 'notifications/initialized':
      count(path, 202);
      res.writeHead(202);
      return res.end();
    case 'tools/list':
      return reply({
        tools: [{
          name: 'echo',
          description: 'Echoes its text argument',
          inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        }],
      });
    case 'tools/call':
      if (msg.params?.name !== 'echo') {
        count(path, 200);
        return send(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'unknown tool' } });
      }
      return reply({ content: [{ type: 'text', text: String(msg.params?.arguments?.text ?? '') }], isError: false });
    default:
      count(path, 200);
      return send(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'method not found' } });
  }
}

rsServer.on('request', async (req, res) => {
  try {
    const path = new URL(req.url, RS).pathname;
    if (req.method === 'GET' && path === '/_stats') return send(res, 200, stats);
    if (req.method === 'GET' && path.startsWith('/.well-known/oauth-protected-resource')) {
      const suffix = path.slice('/.well-known/oauth-protected-resource'.length);
      const resource = { '/mcp': RESOURCE, '/mcp-mixup': MIXUP_RESOURCE }[suffix];
      if (!resource) return send(res, 404, { error: 'not found' });
      return send(res, 200, {
        resource,
        authorization_servers: [resource === RESOURCE ? ISSUER : MIXUP_ISSUER],
        scopes_supported: [SCOPE],
        bearer_methods_supported: ['header'],
      });
    }
    if (req.method === 'GET' && [
      '/.well-known/oauth-authorization-server/mixup',
      '/.well-known/openid-configuration/mixup',
      '/mixup/.well-known/openid-configuration',
    ].includes(path)) {
      stats.mixup_metadata += 1;
      return send(res, 200, await mixupAsMetadata());
    }
    if (path === '/mcp') return await mcp(req, res, RESOURCE, path);
    if (path === '/mcp-mixup') return await mcp(req, res, MIXUP_RESOURCE, path);
    return send(res, 404, { error: 'not found' });
  } catch (e) {
    if (!res.headersSent) send(res, 500, { error: 'server error' });
    else res.end();
    console.error('resource server error:', e);
  }
});

process.stdout.write(`${JSON.stringify({
  issuer: ISSUER, mcp: RESOURCE, mixup_mcp: MIXUP_RESOURCE, mixup_issuer: MIXUP_ISSUER,
  stats: `${RS}/_stats`, access_token_ttl: ACCESS_TOKEN_TTL,
})}\n`);

// Exit when the harness closes our stdin (or dies).
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
