// Independent OpenID4VP verifier for TrustID's tests: an HTTP server on loopback built on
// @openid4vc/openid4vp's Openid4vpVerifier (signed request object by reference, client id
// decentralized_identifier:did:web:127.0.0.1%3A<port>, DCQL, direct_post or
// direct_post.jwt), checking the answer with `dcql` and @sd-jwt/sd-jwt-vc (issuer signature
// from the issuer's JWK Set, status list, KB-JWT with the nonce and aud = client id).
//
// stdin (one line, JSON): {"port", "vct", "claims": ["age_over_18"], "responseMode",
//   "issuerJwksUrl", "tamper": null | "signature" | "response_uri" | "expired"}
// stdout: one line {"link": "openid4vp://..."} once listening.
// GET /result -> {"received": bool, "verified": bool, "claims": {...}, "error": "..."}.
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { ES256, digest } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { Openid4vpVerifier } from "@openid4vc/openid4vp";
import { setGlobalConfig } from "@openid4vc/utils";
import { DcqlPresentationResult, DcqlQuery } from "dcql";
import { SignJWT, compactDecrypt, exportJWK, generateKeyPair, importJWK } from "jose";

setGlobalConfig({ allowInsecureUrls: true }); // loopback test servers speak http

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => {
    data += chunk;
    if (data.includes("\n")) resolve(data);
  });
  process.stdin.on("end", () => resolve(data));
}));
const { port } = input;
const origin = `http://127.0.0.1:${port}`;
const did = `did:web:127.0.0.1%3A${port}`;
const kid = `${did}#key-1`;
const clientId = `decentralized_identifier:${did}`;

const signing = await generateKeyPair("ES256", { extractable: true });
const signingJwk = { ...(await exportJWK(signing.publicKey)), kid };
const other = await generateKeyPair("ES256");
const enc = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
const encJwk = { ...(await exportJWK(enc.publicKey)), kid: "enc-1", use: "enc", alg: "ECDH-ES" };

const dcqlQuery = {
  credentials: [
    {
      id: "pid",
      format: "dc+sd-jwt",
      meta: { vct_values: [input.vct] },
      claims: input.claims.map((name) => ({ path: [name] })),
    },
  ],
};
const result = { received: false, verified: false };

const verifier = new Openid4vpVerifier({
  callbacks: {
    signJwt: async (signer, { header, payload }) => {
      const key = input.tamper === "signature" ? other.privateKey : signing.privateKey;
      const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(key);
      return { jwt, signerJwk: signingJwk };
    },
    decryptJwe: async (jwe) => {
      try {
        const { plaintext } = await compactDecrypt(jwe, enc.privateKey);
        return { decrypted: true, payload: new TextDecoder().decode(plaintext), decryptionJwk: encJwk };
      } catch {
        return { decrypted: false };
      }
    },
    hash: (data) => digest(data),
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    fetch: globalThis.fetch,
  },
});

const responseUri = input.tamper === "response_uri"
  ? `http://127.0.0.1:${port + 1}/response`
  : `${origin}/response`;
const created = await verifier.createOpenId4vpAuthorizationRequest({
  authorizationRequestPayload: {
    response_type: "vp_token",
    client_id: clientId,
    response_mode: input.responseMode,
    response_uri: responseUri,
    nonce: randomBytes(16).toString("base64url"),
    state: randomBytes(16).toString("base64url"),
    dcql_query: dcqlQuery,
    client_metadata: {
      client_name: "Independent verifier",
      vp_formats_supported: { "dc+sd-jwt": { "sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"] } },
      jwks: { keys: [encJwk] },
      encrypted_response_enc_values_supported: ["A128GCM"],
    },
  },
  jar: {
    requestUri: `${origin}/request`,
    jwtSigner: { method: "did", didUrl: kid, alg: "ES256" },
    expiresInSeconds: input.tamper === "expired" ? -60 : 300,
  },
});
const requestPayload = created.authorizationRequestPayload;

async function issuerVerifier() {
  const jwks = await (await fetch(input.issuerJwksUrl)).json();
  return async (data, signature) => {
    const { kid: keyId } = JSON.parse(Buffer.from(data.split(".")[0], "base64url").toString());
    const jwk = jwks.keys.find((k) => k.kid === keyId);
    if (!jwk) return false;
    const { kid: _k, use: _u, alg: _a, ...publicJwk } = jwk;
    return (await ES256.getVerifier(publicJwk))(data, signature);
  };
}

async function judge(form) {
  const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
    authorizationResponse: form,
    authorizationRequestPayload: requestPayload,
    callbacks: verifier.options.callbacks,
  });
  const payload = parsed.authorizationResponsePayload ?? parsed.jarm?.authorizationResponsePayload;
  const vpToken = verifier.parseDcqlVpToken(payload.vp_token);
  const check = await issuerVerifier();
  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: check,
    kbVerifier: async (data, signature, kbPayload) => {
      const jwk = kbPayload.cnf?.jwk;
      return jwk ? (await ES256.getVerifier(jwk))(data, signature) : false;
    },
    statusListFetcher: async (uri) => (await fetch(uri)).text(),
    statusVerifier: check,
    statusValidator: async (status) => {
      if (status !== 0) throw new Error(`status ${status}`);
    },
  });
  const presented = {};
  const claims = {};
  for (const [queryId, presentations] of Object.entries(vpToken)) {
    presented[queryId] = [];
    for (const presentation of presentations) {
      const verified = await instance.verify(presentation, { keyBindingNonce: requestPayload.nonce });
      if (verified.kb?.payload?.aud !== clientId) throw new Error(`KB-JWT aud ${verified.kb?.payload?.aud}`);
      const { _sd: _s, _sd_alg: _a, cnf: _c, ...disclosed } = verified.payload;
      presented[queryId].push({
        credential_format: "dc+sd-jwt",
        vct: verified.payload.vct,
        claims: verified.payload,
        cryptographic_holder_binding: true,
      });
      claims[queryId] = disclosed;
    }
  }
  const dcql = DcqlPresentationResult.fromDcqlPresentation(presented, {
    dcqlQuery: DcqlQuery.parse(dcqlQuery),
  });
  if (!dcql.can_be_satisfied) throw new Error("the presentation does not satisfy the DCQL query");
  return claims;
}

const server = createServer(async (req, res) => {
  const send = (status, body, type = "application/json") => {
    res.writeHead(status, { "Content-Type": type });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  if (req.method === "GET" && req.url === "/.well-known/did.json") {
    return send(200, {
      "@context": ["https://www.w3.org/ns/did/v1"],
      id: did,
      verificationMethod: [{ id: kid, type: "JsonWebKey", controller: did, publicKeyJwk: signingJwk }],
      assertionMethod: [kid],
      authentication: [kid],
    });
  }
  if (req.method === "GET" && req.url === "/request") {
    return send(200, created.jar.authorizationRequestJwt, "application/oauth-authz-req+jwt");
  }
  if (req.method === "GET" && req.url === "/result") return send(200, result);
  if (req.method === "POST" && req.url === "/response") {
    let body = "";
    for await (const chunk of req) body += chunk;
    result.received = true;
    try {
      result.claims = await judge(Object.fromEntries(new URLSearchParams(body)));
      result.verified = true;
      return send(200, {});
    } catch (error) {
      result.error = String(error.message ?? error);
      return send(400, { error: "invalid_request", error_description: result.error });
    }
  }
  return send(404, { error: "not_found" });
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ link: created.authorizationRequest }) + "\n");
});
