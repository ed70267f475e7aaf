// A real OpenID Connect provider on loopback, configured as ProConnect configures the same library
// (github.com/proconnect-gouv/federation, back/libs/oidc-provider: panva's oidc-provider), for the
// browser sign-in tests (tests/browser/test_oidc_sign_in.py). Never deployed.
//
// What it shares with ProConnect, so that the app meets what it will meet in production:
// * the scopes and claims: openid (sub), email, given_name, usual_name, uid, siret, idp_id;
// * claims asked for by scope only at the userinfo endpoint, not in the ID token (oidc-provider's
//   default conformIdTokenClaims), the userinfo answer a signed JWT (application/jwt);
// * ES256-signed ID tokens, the client authenticated by client_secret_post (no client_secret_basic);
// * prompt values login and consent only (Streamlit's default "select_account" is refused);
// * no consent screen (the grant is made as ProConnect's loadExistingGrant makes it);
// * RP-initiated logout at end_session_endpoint, back to a registered post_logout_redirect_uri.
//
// Its sign-in page takes an e-mail address (no password): the test plays the person.
// Test control: POST /__test__/tamper {"iss": "...", "aud": "..."} re-signs the next ID tokens with
// that issuer or audience (a token from the wrong issuer or for another service, validly signed);
// POST /__test__/tamper {} stops it. Everything is in memory; the process ends with SIGTERM.
//
// Usage: node provider.js PORT CONFIG.json
//   CONFIG: {"client_id", "client_secret", "redirect_uri",
//            "users": {"e-mail": {"given_name", "usual_name", "uid"}}}

import { readFileSync } from 'node:fs';

import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const settings = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-es256', alg: 'ES256', use: 'sig' };
const signingKey = await importJWK(signingJwk, 'ES256');

const tamper = {};

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  // No outside resource (fonts, scripts): the tests' network is loopback only.
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function claimsOf(sub, email) {
  const known = settings.users[email] || {};
  return {
    sub,
    email,
    given_name: known.given_name ?? 'Prénom',
    usual_name: known.usual_name ?? 'Nom',
    uid: known.uid ?? email,
    siret: '17440001800016',
    idp_id: 'fi-test',
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: settings.client_id,
    client_secret: settings.client_secret,
    redirect_uris: [settings.redirect_uri],
    post_logout_redirect_uris: [settings.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['qep-test-provider-cookie-key-0123456789'] },
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id'],
  claims: {
    openid: ['sub'], email: ['email'], given_name: ['given_name'], usual_name: ['usual_name'],
    uid: ['uid'], siret: ['siret'], idp_id: ['idp_id'],
  },
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_post', 'private_key_jwt'],
  enabledJWA: { idTokenSigningAlgValues: ['ES256'], userinfoSigningAlgValues: ['ES256'] },
  pkce: { required: () => false },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.body = page('Déconnexion', `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Se déconnecter</button>`);
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    const email = Buffer.from(sub.replace(/^acct:/, ''), 'base64url').toString();
    return { accountId: sub, async claims() { return claimsOf(sub, email); } };
  },
  async loadExistingGrant(ctx) {
    // As ProConnect: no consent step, the grant covers what the client asks for.
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    grant.addOIDCClaims(Array.from(ctx.oidc.requestParamClaims || []));
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Erreur du fournisseur d\'identité', `<pre id="error">${escapeHtml(JSON.stringify(out))}</pre>`);
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

// The ID token, re-signed with the tampered issuer or audience (test control above).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && Object.keys(tamper).length) {
    const claims = { ...decodeJwt(ctx.body.id_token), ...tamper };
    const header = decodeProtectedHeader(ctx.body.id_token);
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(signingKey) };
  }
});

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test__/tamper' && ctx.method === 'POST') {
    const wanted = JSON.parse((await readBody(ctx.req)) || '{}');
    for (const key of Object.keys(tamper)) delete tamper[key];
    Object.assign(tamper, wanted);
    ctx.body = { tamper };
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) {
    await next();
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page('Fournisseur d\'identité de test', `<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<label>Adresse électronique <input name="email" type="email" autofocus></label>
<button type="submit">Continuer</button></form>`);
    return;
  }
  const email = new URLSearchParams(await readBody(ctx.req)).get('email').trim();
  const accountId = `acct:${Buffer.from(email).toString('base64url')}`;
  await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId } }, { mergeWithLastSubmission: false });
  ctx.respond = false;
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc test provider ready on ${issuer}`);
});
