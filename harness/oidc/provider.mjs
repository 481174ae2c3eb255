// The OAuth authorization server the tests start: oidc-provider (a certified OpenID Provider) on a
// loopback port, issuing JWT access tokens (RFC 9068) for one resource, the MCP endpoint under test.
//
//   node provider.mjs    with the environment:
//     RESOURCE            the resource (audience) tokens are for, e.g. http://127.0.0.1:8123/mcp
//     PORT                where to listen (0: any free port; given again on a restart, the same issuer)
//     KEYS_FILE           a JWKS of private keys; the first signs, the others stay published
//     ACCESS_TOKEN_TTL    seconds an access token lives (default 3600)
//     CLIENTS_FILE        pre-registered clients, a JSON list of client metadata (optional)
//
// Prints one JSON line {"issuer": ...} on stdout once listening.
//
// The login and consent pages are replaced by one step that a test drives as a browser would:
// GET /interaction/<uid>?login=<account> logs <account> in, grants every scope asked for on the
// resource, and redirects back into the authorization flow, which then redirects to the client's
// redirect_uri with ?code=...&state=...&iss=...
import fs from 'node:fs';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const env = process.env;
const RESOURCE = env.RESOURCE;
const TTL = Number(env.ACCESS_TOKEN_TTL ?? 3600);
const RESOURCE_SCOPES = 'tasks:read tasks:write';
if (!RESOURCE || !env.KEYS_FILE) throw new Error('RESOURCE and KEYS_FILE are required');

const server = createServer();
await new Promise((resolve) => server.listen(Number(env.PORT ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: JSON.parse(fs.readFileSync(env.KEYS_FILE, 'utf8')),
  clients: env.CLIENTS_FILE ? JSON.parse(fs.readFileSync(env.CLIENTS_FILE, 'utf8')) : [],
  // Listed here too, or a registration that names them is refused as asking for unknown scopes.
  scopes: ['openid', 'offline_access', ...RESOURCE_SCOPES.split(' ')],
  claims: { openid: ['sub'] },
  pkce: { required: () => true },
  ttl: { AccessToken: TTL, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true }, // open dynamic client registration (RFC 7591)
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => oneOf ?? RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: RESOURCE_SCOPES,
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: TTL,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // A registered client's `scope` would cap what it may ask for later (a client registers with the
  // scopes it needs now and asks for more on a step-up), so registrations keep no scope.
  extraClientMetadata: {
    properties: ['scope'],
    validator(ctx, key, value, metadata) {
      if (key === 'scope') delete metadata.scope;
    },
  },
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!match || ctx.method !== 'GET') return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = ctx.query.login || details.session?.accountId;
  if (!accountId) {
    ctx.status = 400;
    ctx.body = 'log in with ?login=<account>';
    return undefined;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details ?? {};
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const result = { login: { accountId }, consent: { grantId: await grant.save() } };
  ctx.status = 303;
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  return undefined;
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => { server.closeAllConnections(); process.exit(0); });
