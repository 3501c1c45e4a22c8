// A real OpenID Connect provider (the npm package oidc-provider) for tests/web/test_oidc.py, on loopback only.
//
// Usage: node provider.js REDIRECT_URI
// Listens on 127.0.0.1 on a port the system picks and prints one JSON line, {"issuer": "http://127.0.0.1:PORT"},
// once it is ready. Stops when its standard input closes (the test's process ended) or on SIGTERM.
//
// Its sign-in and consent pages are oidc-provider's development interactions (any password is accepted for a
// known login). Three clients share the secret below and the one redirect URI:
//   metforward            an honest client: ID tokens for it, PKCE (S256) required
//   metforward-wrong-aud  its ID tokens name another audience ("another-app"), as a mixed-up provider's would
//   metforward-expired    its ID tokens expired ten minutes before they were issued (a provider whose clock is
//                         behind): both crafted at the provider, signed with its real key, so the app's
//                         validation is what refuses them.
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const redirectUri = process.argv[2];
if (!redirectUri) {
  process.stderr.write('usage: node provider.js REDIRECT_URI\n');
  process.exit(2);
}

const SECRET = 'test-client-secret-not-for-production-use-0123456789';

// The test users (synthetic): the login typed on the sign-in page, and the claims the provider asserts.
const USERS = {
  jo: {
    email: 'jo.sso@council.example',
    email_verified: true,
    name: 'Jo Example',
    metforward_role: 'council-borough-staff',
    metforward_boroughs: ['Westminster', 'Camden'],
  },
  sam: {
    email: 'sam.sso@police.example',
    email_verified: true,
    name: 'Sam Example',
    metforward_role: 'visitor',
    metforward_boroughs: [],
  },
};

const client = (clientId) => ({
  client_id: clientId,
  client_secret: SECRET,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const configuration = {
  clients: [client('metforward'), client('metforward-wrong-aud'), client('metforward-expired')],
  scopes: ['openid', 'email', 'profile', 'metforward'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    metforward: ['metforward_role', 'metforward_boroughs'],
  },
  pkce: { required: () => true },
  // short-lived tokens
  ttl: { AccessToken: 60, AuthorizationCode: 30, IdToken: 60, Interaction: 600, Session: 600, Grant: 600 },
  features: { devInteractions: { enabled: true }, revocation: { enabled: false } },
  async findAccount(ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...user }; } };
  },
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration);

  const { IdToken } = provider;
  const issue = IdToken.prototype.issue;
  IdToken.prototype.issue = async function craftedIssue(options = {}) {
    const clientId = this.client?.clientId;
    if (options.use === 'idtoken' && clientId === 'metforward-expired') {
      return issue.call(this, { ...options, expiresAt: Math.floor(Date.now() / 1000) - 600 });
    }
    if (options.use === 'idtoken' && clientId === 'metforward-wrong-aud') {
      const real = this.client;
      this.client = Object.create(real, { clientId: { value: 'another-app' } });
      try {
        return await issue.call(this, options);
      } finally {
        this.client = real;
      }
    }
    return issue.call(this, options);
  };

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
