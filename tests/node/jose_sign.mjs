// Independent signer for TrustID's tests: node `jose` (panva) makes a key pair per item,
// the issuer's did:jwk, and a compact JWS over the given payload (with `issuer` set to
// that DID). ES256K is signed with node:crypto directly, since jose 6 dropped secp256k1.
//
// stdin:  [{"alg": "ES384", "payload": {...}, "header": {...}?}, ...]
// stdout: [{"alg", "did", "kid", "jwk", "token"}, ...]
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { CompactSign, exportJWK, generateKeyPair } from "jose";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const PUBLIC = { EC: ["kty", "crv", "x", "y"], OKP: ["kty", "crv", "x"], RSA: ["kty", "n", "e"] };

function didJwk(jwk, alg) {
  const members = Object.fromEntries(PUBLIC[jwk.kty].map((k) => [k, jwk[k]]));
  if (jwk.kty === "RSA") members.alg = alg; // an RSA key needs its alg to be pinned
  return "did:jwk:" + b64url(JSON.stringify(members));
}

async function signOne({ alg, payload, header = {} }) {
  let jwk, token, did, kid;
  if (alg === "ES256K") {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    jwk = publicKey.export({ format: "jwk" });
    did = didJwk(jwk, alg);
    kid = `${did}#0`;
    const protectedHeader = { alg, typ: "vc+jwt", cty: "vc", kid, ...header };
    const body = { ...payload, issuer: did };
    const input = `${b64url(JSON.stringify(protectedHeader))}.${b64url(JSON.stringify(body))}`;
    const signature = sign("sha256", Buffer.from(input), {
      key: createPrivateKey(privateKey.export({ format: "pem", type: "pkcs8" })),
      dsaEncoding: "ieee-p1363",
    });
    token = `${input}.${b64url(signature)}`;
  } else {
    const options = { extractable: true };
    if (alg.startsWith("RS") || alg.startsWith("PS")) options.modulusLength = 2048;
    if (alg === "EdDSA") options.crv = "Ed25519";
    const { privateKey, publicKey } = await generateKeyPair(alg, options);
    jwk = await exportJWK(publicKey);
    did = didJwk(jwk, alg);
    kid = `${did}#0`;
    const body = new TextEncoder().encode(JSON.stringify({ ...payload, issuer: did }));
    token = await new CompactSign(body)
      .setProtectedHeader({ alg, typ: "vc+jwt", cty: "vc", kid, ...header })
      .sign(privateKey);
  }
  return { alg, did, kid, jwk, token };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const item of JSON.parse(input)) out.push(await signOne(item));
process.stdout.write(JSON.stringify(out));
