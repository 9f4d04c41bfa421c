// Test-only counterparty: signs Data Integrity credentials and presentations with Digital
// Bazaar's cryptosuites, so the Python tests can check vcore against an independent
// implementation. Keys are generated on every run; nothing is fetched: the document loader
// serves only TrustID's bundled contexts (vcore/data_integrity/contexts) and refuses
// every other URL.
//
// stdin:  {"keys": [{"name", "curve": "Ed25519"|"P-256"|"P-384", "controller": "did:key"|<DID>}],
//          "jobs": [{"key", "suite", "document", "kind": "credential"|"presentation"|"raw",
//                    "purpose"?, "challenge"?, "domain"?, "created"?}]}
//         In a document, "$CONTROLLER" / "$METHOD" stand for the signing key's DID / method id,
//         "$DID:<name>" for another key's DID and "$RESULT:<n>" for the n-th signed result.
// stdout: {"keys": {name: {"id", "controller", "publicKeyMultibase"}},
//          "results": [{"signed": {...}} | {"error": "..."}]}
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import path from 'node:path';

import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {cryptosuite as ecdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {createSignCryptosuite as eddsaJcs2022} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {createSignCryptosuite as ecdsaJcs2019} from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';

const here = path.dirname(fileURLToPath(import.meta.url));
const contextsDir = path.join(here, '..', '..', 'vcore', 'data_integrity', 'contexts');
const manifest = JSON.parse(readFileSync(path.join(contextsDir, 'manifest.json'), 'utf8'));
const contexts = new Map(manifest.contexts.map(entry => [
  entry.url, JSON.parse(readFileSync(path.join(contextsDir, entry.file), 'utf8'))
]));

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
  }
  throw new Error(`context not bundled: ${url}`);
}

async function makeKey({curve, controller}) {
  const pair = curve === 'Ed25519' ?
    await Ed25519Multikey.generate() : await EcdsaMultikey.generate({curve});
  const exported = await pair.export({publicKey: true});
  const multibase = exported.publicKeyMultibase;
  const did = controller === 'did:key' ? `did:key:${multibase}` : controller;
  pair.controller = did;
  pair.id = controller === 'did:key' ? `${did}#${multibase}` : `${did}#key-${curve}`;
  return pair;
}

function cryptosuiteFor(name) {
  switch(name) {
    case 'eddsa-rdfc-2022': return eddsaRdfc2022;
    case 'ecdsa-rdfc-2019': return ecdsaRdfc2019;
    case 'eddsa-jcs-2022': return eddsaJcs2022();
    case 'ecdsa-jcs-2019': return ecdsaJcs2019();
    default: throw new Error(`unknown cryptosuite ${name}`);
  }
}

function substitute(text, pair, pairs, results) {
  return text
    .replaceAll('$CONTROLLER', pair.controller).replaceAll('$METHOD', pair.id)
    .replace(/\$DID:([A-Za-z0-9_-]+)/g, (_, name) => pairs.get(name).controller)
    .replace(/"\$RESULT:(\d+)"/g, (_, n) => JSON.stringify(results[Number(n)].signed));
}

async function sign(job, pair, pairs, results) {
  const suite = new DataIntegrityProof({
    signer: pair.signer(), cryptosuite: cryptosuiteFor(job.suite), date: job.created
  });
  const document = JSON.parse(substitute(JSON.stringify(job.document), pair, pairs, results));
  if(job.kind === 'credential') {
    return vc.issue({credential: document, suite, documentLoader});
  }
  if(job.kind === 'presentation') {
    return vc.signPresentation({
      presentation: document, suite, documentLoader,
      challenge: job.challenge, domain: job.domain
    });
  }
  const purpose = job.purpose === 'authentication' ?
    new jsigs.purposes.AuthenticationProofPurpose({challenge: job.challenge ?? 'none', domain: job.domain}) :
    new jsigs.purposes.AssertionProofPurpose();
  return jsigs.sign(document, {suite, purpose, documentLoader});
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const pairs = new Map();
const keys = {};
for(const spec of input.keys) {
  const pair = await makeKey(spec);
  pairs.set(spec.name, pair);
  const exported = await pair.export({publicKey: true});
  keys[spec.name] = {
    id: pair.id, controller: pair.controller, publicKeyMultibase: exported.publicKeyMultibase
  };
}
const results = [];
for(const job of input.jobs) {
  try {
    results.push({signed: await sign(job, pairs.get(job.key), pairs, results)});
  } catch(e) {
    results.push({error: String(e && e.message || e)});
  }
}
process.stdout.write(JSON.stringify({keys, results}));
