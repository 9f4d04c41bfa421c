// An independent OpenID4VCI issuer (npm @openid4vc/openid4vci Openid4vciIssuer, with
// @openid4vc/oauth2's authorization and resource servers for the token and DPoP, and
// @sd-jwt/sd-jwt-vc for the credential), for TrustID's wallet to receive from.
// Test-only (tests/wallet_cli/test_oid4vci_node_issuer.py).
//
// argv: PORT. On start it prints one JSON line: {"offer": "openid-credential-offer://...",
// "txCode": "...", "issuer": "http://127.0.0.1:PORT", "did": "did:jwk:..."}; then it
// serves until killed. One offer, one dc+sd-jwt configuration, DPoP required.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import http from 'node:http'
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import {
  Oauth2AuthorizationServer, Oauth2ResourceServer, clientAuthenticationAnonymous,
  preAuthorizedCodeGrantIdentifier, setGlobalConfig,
} from '@openid4vc/oauth2'
import { Openid4vciIssuer } from '@openid4vc/openid4vci'
import * as jose from 'jose'

setGlobalConfig({ allowInsecureUrls: true })

const port = Number(process.argv[2])
const base = `http://127.0.0.1:${port}`
const configId = 'ExamplePid_sd_jwt'

// The authorization server's token-signing key and the issuer's credential key.
const asKeys = await jose.generateKeyPair('ES256', { extractable: true })
const asJwk = { ...(await jose.exportJWK(asKeys.publicKey)), kid: 'as-1', alg: 'ES256', use: 'sig' }
const issuerKeys = await ES256.generateKeyPair()
const { d: _d, key_ops: _o, ext: _e, ...issuerPublic } = issuerKeys.publicKey
const did = 'did:jwk:' + Buffer.from(JSON.stringify(issuerPublic)).toString('base64url')

async function verifyJwt (signer, { compact }) {
  let jwk
  if (signer.method === 'jwk') jwk = signer.publicJwk
  else if (signer.method === 'did' && signer.didUrl.startsWith('did:jwk:')) {
    jwk = JSON.parse(Buffer.from(signer.didUrl.slice(8).split('#')[0], 'base64url'))
  } else return { verified: false }
  try {
    await jose.compactVerify(compact, await jose.importJWK(jwk, signer.alg))
    return { verified: true, signerJwk: jwk }
  } catch { return { verified: false } }
}

async function signJwt (signer, { header, payload }) {
  const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(asKeys.privateKey)
  return { jwt, signerJwk: asJwk }
}

const callbacks = {
  fetch,
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: (n) => randomBytes(n),
  signJwt,
  verifyJwt,
  clientAuthentication: clientAuthenticationAnonymous(),
}
const issuer = new Openid4vciIssuer({ callbacks })
const authorizationServer = new Oauth2AuthorizationServer({ callbacks })
const resourceServer = new Oauth2ResourceServer({ callbacks })

const asMetadata = authorizationServer.createAuthorizationServerMetadata({
  issuer: base,
  token_endpoint: `${base}/token`,
  jwks_uri: `${base}/jwks`,
  'pre-authorized_grant_anonymous_access_supported': true,
  dpop_signing_alg_values_supported: ['ES256'],
})
const credentialIssuer = issuer.createCredentialIssuerMetadata({
  credential_issuer: base,
  credential_endpoint: `${base}/credential`,
  nonce_endpoint: `${base}/nonce`,
  display: [{ name: 'Independent Test Issuer', locale: 'en' }],
  credential_configurations_supported: {
    [configId]: {
      format: 'dc+sd-jwt',
      vct: 'urn:example:pid:1',
      cryptographic_binding_methods_supported: ['jwk'],
      credential_signing_alg_values_supported: ['ES256'],
      proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['ES256'] } },
      credential_metadata: { display: [{ name: 'Example PID', locale: 'en' }] },
    },
  },
})
const issuerMetadata = {
  originalDraftVersion: 'V1',
  credentialIssuer,
  authorizationServers: [asMetadata],
  knownCredentialConfigurations: credentialIssuer.credential_configurations_supported,
}

const preAuthorizedCode = randomUUID()
const txCode = String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000))
let codeUsed = false
const nonces = new Set()
const { credentialOffer } = await issuer.createCredentialOffer({
  issuerMetadata,
  credentialConfigurationIds: [configId],
  grants: {
    [preAuthorizedCodeGrantIdentifier]: {
      'pre-authorized_code': preAuthorizedCode,
      tx_code: { length: 6, input_mode: 'numeric' },
    },
  },
})

const sdJwtVc = new SDJwtVcInstance({
  hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
  signer: await ES256.getSigner(issuerKeys.privateKey), signAlg: 'ES256',
})

function reply (res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

function requestLike (req) {
  return { method: req.method, url: `${base}${req.url}`, headers: new Headers(req.headers) }
}

async function handle (req, res, body) {
  const path = req.url.split('?')[0]
  if (req.method === 'GET' && path === '/.well-known/openid-credential-issuer') return reply(res, 200, credentialIssuer)
  if (req.method === 'GET' && path === '/.well-known/oauth-authorization-server') return reply(res, 200, asMetadata)
  if (req.method === 'GET' && path === '/jwks') return reply(res, 200, { keys: [asJwk] })
  if (req.method === 'POST' && path === '/token') {
    const accessTokenRequest = Object.fromEntries(new URLSearchParams(body))
    const request = requestLike(req)
    const parsed = authorizationServer.parseAccessTokenRequest({ request, accessTokenRequest })
    if (codeUsed) return reply(res, 400, { error: 'invalid_grant', error_description: 'used' })
    const { dpop } = await authorizationServer.verifyPreAuthorizedCodeAccessTokenRequest({
      grant: parsed.grant,
      accessTokenRequest: parsed.accessTokenRequest,
      request,
      authorizationServerMetadata: asMetadata,
      expectedPreAuthorizedCode: preAuthorizedCode,
      expectedTxCode: txCode,
      dpop: { jwt: parsed.dpop?.jwt, required: true },
    })
    codeUsed = true
    const response = await authorizationServer.createAccessTokenResponse({
      authorizationServer: base,
      audience: base,
      signer: { method: 'jwk', alg: 'ES256', publicJwk: asJwk },
      dpop: { jwk: dpop.jwk },
      expiresInSeconds: 300,
      subject: 'wallet',
    })
    return reply(res, 200, response)
  }
  if (req.method === 'POST' && path === '/nonce') {
    const cNonce = randomUUID()
    nonces.add(cNonce)
    return reply(res, 200, issuer.createNonceResponse({ cNonce, cNonceExpiresIn: 300 }))
  }
  if (req.method === 'POST' && path === '/credential') {
    await resourceServer.verifyResourceRequest({
      request: requestLike(req),
      resourceServer: base,
      authorizationServers: [asMetadata],
      allowedAuthenticationSchemes: ['DPoP'],
    })
    const credentialRequest = issuer.parseCredentialRequest({ issuerMetadata, credentialRequest: JSON.parse(body) })
    const jwts = credentialRequest.proofs?.jwt ?? []
    const credentials = []
    for (const jwt of jwts) {
      const { nonce } = jose.decodeJwt(jwt)
      if (!nonces.delete(nonce)) return reply(res, 400, { error: 'invalid_nonce' })
      const verified = await issuer.verifyCredentialRequestJwtProof({ issuerMetadata, jwt, expectedNonce: nonce })
      const holderJwk = verified.signer.publicJwk
      const credential = await sdJwtVc.issue(
        {
          vct: 'urn:example:pid:1', iss: did, iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 86400, cnf: { jwk: holderJwk },
          given_name: 'Mei', family_name: 'Li', birthdate: '1992-05-01',
        },
        { _sd: ['given_name', 'family_name', 'birthdate'] },
        { header: { kid: `${did}#0`, typ: 'dc+sd-jwt' } },
      )
      credentials.push({ credential })
    }
    return reply(res, 200, issuer.createCredentialResponse({ credentialRequest, credentials }))
  }
  return reply(res, 404, { error: 'not_found' })
}

http.createServer((req, res) => {
  let body = ''
  req.on('data', (chunk) => { body += chunk })
  req.on('end', () => {
    handle(req, res, body).catch((error) => {
      const oauth = error.errorResponse
      if (oauth) return reply(res, error.status ?? 400, oauth)
      process.stderr.write(`${error.stack}\n`)
      reply(res, 400, { error: 'invalid_request', error_description: String(error.message) })
    })
  })
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ offer: credentialOffer, txCode, issuer: base, did }) + '\n')
})
