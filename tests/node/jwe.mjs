// Independent JWE for TrustID's tests: node `jose` (panva) encrypts to, or decrypts with,
// a P-256 JWK using ECDH-ES (direct) and A128GCM/A256GCM.
//
// stdin:  {"op": "encrypt", "jwk": {...public}, "enc": "A128GCM", "kid": "...", "plaintext": "..."}
//      or {"op": "decrypt", "jwk": {...private}, "jwe": "..."}
// stdout: {"jwe": "..."} or {"plaintext": "...", "header": {...}}
import { CompactEncrypt, compactDecrypt, importJWK } from "jose";

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
}));

if (input.op === "encrypt") {
  const key = await importJWK(input.jwk, "ECDH-ES");
  const jwe = await new CompactEncrypt(new TextEncoder().encode(input.plaintext))
    .setProtectedHeader({ alg: "ECDH-ES", enc: input.enc, kid: input.kid })
    .encrypt(key);
  process.stdout.write(JSON.stringify({ jwe }));
} else {
  const key = await importJWK(input.jwk, "ECDH-ES");
  const { plaintext, protectedHeader } = await compactDecrypt(input.jwe, key);
  process.stdout.write(JSON.stringify({ plaintext: new TextDecoder().decode(plaintext), header: protectedHeader }));
}
