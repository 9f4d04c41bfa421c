// Independent OpenID4VP wallet for TrustID's tests: @openid4vc/openid4vp's Openid4vpClient
// resolves the request (fetches the request object, checks its did signature and client id),
// `dcql` matches the query against the one SD-JWT VC given, @sd-jwt/sd-jwt-vc presents the
// requested claims with a KB-JWT (nonce, aud = client_id), and the response is submitted
// (direct_post, or direct_post.jwt encrypted with node `jose`).
//
// stdin:  {"link": "openid4vp://...", "sdjwt": "...", "holderPrivateJwk": {...},
//          "tamper": null | "nonce" | "aud"}
// stdout: {"status": 200, "body": {...}, "clientId": "...", "queryIds": [...], "disclosed": [...]}
//      or {"thrown": "..."} when the library refused the request
import { createHash, randomBytes } from "node:crypto";
import { ES256, digest } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { Openid4vpClient } from "@openid4vc/openid4vp";
import { setGlobalConfig } from "@openid4vc/utils";
import { DcqlQuery } from "dcql";
import { CompactEncrypt, compactVerify, importJWK, base64url } from "jose";

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
}));

// did:web -> its DID document over http (loopback in tests only).
async function resolveDidKey(didUrl) {
  const [did] = didUrl.split("#");
  const parts = did.split(":").slice(2).map(decodeURIComponent);
  const base = `http://${parts[0]}${parts.length > 1 ? "/" + parts.slice(1).join("/") : ""}`;
  const url = parts.length > 1 ? `${base}/did.json` : `${base}/.well-known/did.json`;
  const document = await (await fetch(url)).json();
  const method = document.verificationMethod.find((m) => m.id === didUrl);
  if (!method) throw new Error(`no verification method ${didUrl}`);
  return method.publicKeyJwk;
}

const callbacks = {
  fetch: globalThis.fetch,
  hash: (data, alg) => new Uint8Array(createHash(alg.replace("-", "")).update(data).digest()),
  generateRandom: (length) => new Uint8Array(randomBytes(length)),
  verifyJwt: async (signer, { compact }) => {
    if (signer.method !== "did") return { verified: false };
    const jwk = await resolveDidKey(signer.didUrl);
    try {
      await compactVerify(compact, await importJWK(jwk, signer.alg));
      return { verified: true, signerJwk: jwk };
    } catch {
      return { verified: false };
    }
  },
  encryptJwe: async (encryptor, data) => {
    const key = await importJWK(encryptor.publicJwk, encryptor.alg);
    const params = {};
    if (encryptor.apu) params.apu = base64url.decode(encryptor.apu);
    if (encryptor.apv) params.apv = base64url.decode(encryptor.apv);
    const jwe = await new CompactEncrypt(new TextEncoder().encode(data))
      .setProtectedHeader({ alg: encryptor.alg, enc: encryptor.enc, kid: encryptor.publicJwk.kid })
      .setKeyManagementParameters(params)
      .encrypt(key);
    return { jwe, encryptionJwk: encryptor.publicJwk };
  },
};

// Loopback test servers speak http; the library refuses it unless told otherwise.
setGlobalConfig({ allowInsecureUrls: true });

async function main() {
  const client = new Openid4vpClient({ callbacks });
  const params = Object.fromEntries(new URL(input.link).searchParams);
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: params,
  });
  const request = resolved.authorizationRequestPayload;

  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    kbSigner: await ES256.getSigner(input.holderPrivateJwk),
    kbSignAlg: "ES256",
  });
  const claims = await sdjwt.getClaims(input.sdjwt);
  const query = DcqlQuery.parse(resolved.dcql.query);
  DcqlQuery.validate(query);
  const result = DcqlQuery.query(query, [
    { credential_format: "dc+sd-jwt", vct: claims.vct, claims, cryptographic_holder_binding: true },
  ]);
  if (!result.can_be_satisfied) throw new Error("the DCQL query cannot be satisfied");

  const vpToken = {};
  const disclosed = [];
  for (const credentialQuery of query.credentials) {
    const frame = {};
    for (const claim of credentialQuery.claims ?? []) {
      frame[claim.path[0]] = true;
      disclosed.push(claim.path[0]);
    }
    const presentation = await sdjwt.present(input.sdjwt, frame, {
      kb: {
        payload: {
          iat: Math.floor(Date.now() / 1000),
          aud: input.tamper === "aud" ? "decentralized_identifier:did:web:elsewhere.example" : request.client_id,
          nonce: input.tamper === "nonce" ? "not-the-nonce" : request.nonce,
        },
      },
    });
    vpToken[credentialQuery.id] = [presentation];
  }

  const jarm = request.response_mode === "direct_post.jwt"
    ? {
        encryption: {},
        serverMetadata: {
          authorization_encryption_alg_values_supported: ["ECDH-ES"],
          authorization_encryption_enc_values_supported: ["A128GCM", "A256GCM"],
        },
      }
    : undefined;
  const response = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: { vp_token: vpToken },
    jarm,
  });
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: response.authorizationResponsePayload,
    jarm: response.jarm ? { responseJwt: response.jarm.responseJwt } : undefined,
  });
  const text = await submitted.response.text();
  process.stdout.write(JSON.stringify({
    status: submitted.response.status,
    body: text ? JSON.parse(text) : null,
    clientId: request.client_id,
    queryIds: Object.keys(vpToken),
    disclosed,
  }));
}

try {
  await main();
} catch (error) {
  // Refusals are answers too: the caller asserts on them.
  process.stdout.write(JSON.stringify({ thrown: String(error.message ?? error) }));
}
