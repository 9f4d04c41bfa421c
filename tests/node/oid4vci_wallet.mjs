// An independent OpenID4VCI wallet (npm @openid4vc/openid4vci + @openid4vc/oauth2, jose for
// the keys and signatures): redeems a pre-authorized credential offer with a transaction
// code and DPoP, and prints what it got. Test-only (tests/issuer/test_oid4vci_node.py).
//
// stdin: {"offer": "openid-credential-offer://...", "txCode": "123456",
//         "configurationId": "...", "proofs": 1}
// stdout: {"credentials": ["..."], "holderJwks": [{...}], "tokenType": "DPoP",
//          "metadataIssuer": "..."}
import { createHash, randomBytes } from 'node:crypto'
import { Openid4vciClient } from '@openid4vc/openid4vci'
import { clientAuthenticationAnonymous, setGlobalConfig } from '@openid4vc/oauth2'
import * as jose from 'jose'

setGlobalConfig({ allowInsecureUrls: true }) // loopback test servers speak plain http

const input = JSON.parse(await new Promise((resolve) => {
  let text = ''
  process.stdin.on('data', (chunk) => { text += chunk })
  process.stdin.on('end', () => resolve(text))
}))

const keys = new Map() // thumbprint -> private key
async function newKey () {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true })
  const publicJwk = await jose.exportJWK(publicKey)
  keys.set(await jose.calculateJwkThumbprint(publicJwk), privateKey)
  return { method: 'jwk', alg: 'ES256', publicJwk }
}

async function signJwt (signer, { header, payload }) {
  if (signer.method !== 'jwk') throw new Error(`signer ${signer.method} not supported here`)
  const key = keys.get(await jose.calculateJwkThumbprint(signer.publicJwk))
  const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(key)
  return { jwt, signerJwk: signer.publicJwk }
}

const client = new Openid4vciClient({
  callbacks: {
    fetch,
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: (n) => randomBytes(n),
    signJwt,
    clientAuthentication: clientAuthenticationAnonymous(),
  },
})

const offer = await client.resolveCredentialOffer(input.offer)
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
const dpopSigner = await newKey()
const { accessTokenResponse, dpop } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer,
  issuerMetadata,
  txCode: input.txCode,
  dpop: { signer: dpopSigner },
})
const configurationId = input.configurationId ?? offer.credential_configuration_ids[0]
const holderJwks = []
const jwts = []
for (let i = 0; i < (input.proofs ?? 1); i++) {
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
  // One nonce per proof here: the issuer's nonces are single use, and a batch may share one.
  const signer = await newKey()
  holderJwks.push(signer.publicJwk)
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configurationId, signer, nonce,
  })
  jwts.push(jwt)
}
const result = await client.retrieveCredentials({
  issuerMetadata,
  accessToken: accessTokenResponse.access_token,
  credentialConfigurationId: configurationId,
  proofs: { jwt: jwts },
  dpop,
})
if (!result.ok) {
  process.stdout.write(JSON.stringify({ error: result.credentialErrorResponseResult ?? result.response?.status }))
  process.exit(3)
}
const credentials = result.credentialResponse.credentials.map((c) => c.credential)
process.stdout.write(JSON.stringify({
  credentials,
  holderJwks,
  tokenType: accessTokenResponse.token_type,
  metadataIssuer: issuerMetadata.credentialIssuer.credential_issuer,
}))
