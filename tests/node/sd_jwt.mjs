// Independent SD-JWT VC counterparty for TrustID's tests: @sd-jwt/sd-jwt-vc (OpenWallet
// Foundation's sd-jwt-js) with @sd-jwt/crypto-nodejs, and @sd-jwt/jwt-status-list.
//
// stdin: {"op": ..., ...}; stdout: JSON.
//   verify:  {sdjwt, jwks, statusList?, kb?: {nonce, aud}} -> {payload, kb?, status?}
//            The issuer's key comes from the JWK Set only (by kid).
//   issue:   {claims, frame, holderJwk} -> {sdjwt, issuerJwk, did, kid}
//            Signed by a fresh ES256 key; iss = its did:jwk, kid = <did>#0.
//   present: {sdjwt, presentationFrame, holderPrivateJwk, nonce, aud, iat} -> {sdjwt}
//   status:  {token, indexes} -> {bits, values}
//   typeMetadata: {document} -> {valid, issues?, display, claims}: the library's own Type
//            Metadata schema (its `lang`/`locale` reading), and what it makes of display.
import { ES256, digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { SDJwtVcInstance, TypeMetadataFormatSchema } from "@sd-jwt/sd-jwt-vc";

const b64url = (text) => Buffer.from(text).toString("base64url");
const headerOf = (data) => JSON.parse(Buffer.from(data.split(".")[0], "base64url").toString());

function jwksVerifier(jwks) {
  return async (data, signature) => {
    const { kid, alg } = headerOf(data);
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk || alg !== "ES256") return false;
    const { kid: _k, use: _u, alg: _a, ...publicJwk } = jwk;
    return (await ES256.getVerifier(publicJwk))(data, signature);
  };
}

async function kbVerifier(data, signature, payload) {
  const jwk = payload.cnf?.jwk;
  if (!jwk) return false;
  return (await ES256.getVerifier(jwk))(data, signature);
}

async function verify({ sdjwt, jwks, statusList, kb }) {
  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: jwksVerifier(jwks),
    kbVerifier,
    statusListFetcher: async () => statusList,
    statusVerifier: jwksVerifier(jwks),
    statusValidator: async (status) => {
      if (status !== 0) throw new Error(`status ${status}`);
    },
  });
  const options = kb ? { keyBindingNonce: kb.nonce } : undefined;
  const result = await instance.verify(sdjwt, options);
  return { payload: result.payload, kb: result.kb ? result.kb.payload : null };
}

async function issue({ claims, frame, holderJwk }) {
  const { privateKey, publicKey } = await ES256.generateKeyPair();
  const { d: _d, ...pub } = publicKey;
  const did = "did:jwk:" + b64url(JSON.stringify(pub));
  const kid = `${did}#0`;
  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    saltGenerator: generateSalt,
    signer: await ES256.getSigner(privateKey),
    signAlg: "ES256",
  });
  const sdjwt = await instance.issue(
    { ...claims, iss: did, iat: Math.floor(Date.now() / 1000), cnf: { jwk: holderJwk } },
    frame,
    { header: { kid, typ: "dc+sd-jwt" } },
  );
  return { sdjwt, issuerJwk: pub, did, kid };
}

async function present({ sdjwt, presentationFrame, holderPrivateJwk, nonce, aud, iat }) {
  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    kbSigner: await ES256.getSigner(holderPrivateJwk),
    kbSignAlg: "ES256",
  });
  const out = await instance.present(sdjwt, presentationFrame, {
    kb: { payload: { iat, aud, nonce } },
  });
  return { sdjwt: out };
}

async function status({ token, indexes }) {
  const list = getListFromStatusListJWT(token);
  return { bits: list.getBitsPerStatus(), values: indexes.map((i) => list.getStatus(i)) };
}

function typeMetadata({ document }) {
  const parsed = TypeMetadataFormatSchema.safeParse(document);
  if (!parsed.success) return { valid: false, issues: parsed.error.issues.map((i) => i.message) };
  const claims = (parsed.data.claims || []).map((c) => ({
    path: c.path,
    labels: Object.fromEntries((c.display || []).map((d) => [d.locale, d.label])),
  }));
  const display = Object.fromEntries((parsed.data.display || []).map((d) => [d.locale, d.name]));
  return { valid: true, display, claims };
}

const OPS = { verify, issue, present, status, typeMetadata };
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  try {
    const request = JSON.parse(input);
    process.stdout.write(JSON.stringify(await OPS[request.op](request)));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error && error.message) }));
  }
});
