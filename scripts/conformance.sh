#!/usr/bin/env bash
# Run the W3C VC Data Model 2.0 test suite against TrustID on loopback, over TLS.
#
#   bash scripts/conformance.sh SUITE_DIR [IMPLEMENTATIONS_DIR]
#
# SUITE_DIR is a clone of w3c/vc-data-model-2.0-test-suite, IMPLEMENTATIONS_DIR a clone
# of w3c/vc-test-suite-implementations (default: beside SUITE_DIR). Both stay outside
# this repository. The script (docs/conformance.md says more):
#   1. in the implementations clone, deletes every remote manifest, writes one for TrustID
#      on loopback, packs it (npm pack) and makes the suite depend on the tarball (file:);
#   2. starts an issuer (with the opt-in open type and an agency accredited for it) and a
#      verifier (trust list: this issuer and the suite's two fixture issuers), each on
#      plain http on 127.0.0.1, and nginx with a self-signed certificate in front of both
#      (the suite sends the API keys only over https);
#   3. writes localConfig.cjs in the suite root (TrustID only; keys from the environment),
#      runs mocha, prints the passing/failing counts, and stops everything it started.
# Needs node/npm, nginx and openssl (apt-get install nginx). Not run by the test suite.
set -euo pipefail

suite=${1:?usage: scripts/conformance.sh SUITE_DIR [IMPLEMENTATIONS_DIR]}
suite=$(cd "$suite" && pwd)
impls=$(cd "${2:-$suite/../vc-test-suite-implementations}" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
py="$repo/.venv/bin/python"
bin="$repo/.venv/bin"
for tool in node npm nginx openssl; do
  command -v "$tool" >/dev/null || { echo "conformance: $tool is needed" >&2; exit 2; }
done
[ -x "$py" ] || { echo "conformance: run 'bash scripts/test.sh' (or make .venv) first" >&2; exit 2; }
[ -f "$suite/tests/4.03-contexts.js" ] || { echo "conformance: $suite is not the VCDM 2.0 suite" >&2; exit 2; }

work=$(mktemp -d /tmp/trustid-conformance.XXXXXX)
pids=()
cleanup() {
  # nginx runs in the foreground (daemon off), so its pid is in pids too; once it is
  # stopped its pid file is gone, hence no cat of a missing file here.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
issuer_port=$(free_port); verifier_port=$(free_port); tls_port=$(free_port)
issuer_url="http://127.0.0.1:$issuer_port"
base="https://127.0.0.1:$tls_port"
did="did:web:127.0.0.1%3A$issuer_port"
echo "conformance: work dir $work; issuer $issuer_url, verifier :$verifier_port, TLS $base"

# -- 1. the implementations package: TrustID only, packed, a file: dependency of the suite
find "$impls/implementations" -maxdepth 1 -name '*.json' ! -name 'TrustID.json' -delete
cat > "$impls/implementations/TrustID.json" <<JSON
{
  "name": "TrustID",
  "implementation": "TrustID (loopback)",
  "issuers": [{"id": "$did", "endpoint": "$base/credentials/issue", "tags": ["vc2.0", "EnvelopingProof"]}],
  "verifiers": [{"id": "$did", "endpoint": "$base/credentials/verify", "tags": ["vc2.0", "EnvelopingProof"]}],
  "vpVerifiers": [{"id": "$did", "endpoint": "$base/presentations/verify", "tags": ["vc2.0", "EnvelopingProof"]}]
}
JSON
tarball=$(cd "$impls" && npm pack --silent 2>/dev/null | tail -1)
node -e '
  const fs = require("fs"); const [file, dep] = process.argv.slice(1);
  const p = JSON.parse(fs.readFileSync(file)); p.dependencies["vc-test-suite-implementations"] = dep;
  fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");' \
  "$suite/package.json" "file:$impls/$tarball"
# A fresh copy of the packed manifest each run (npm caches file: tarballs by integrity).
rm -rf "$suite/node_modules/vc-test-suite-implementations"
(cd "$suite" && npm install --no-audit --no-fund --silent)

# -- 2. the services ---------------------------------------------------------------------
mkdir -p "$work/issuer" "$work/verifier" "$work/types" "$work/nginx"
cp "$repo/examples/types/VerifiableCredential.json" "$work/types/"
export TRUSTID_ISSUER_URL="$issuer_url" TRUSTID_TYPES_DIR="$work/types"
wait_for() {
  for _ in $(seq 1 150); do
    "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" \
      2>/dev/null && return 0
    sleep 0.2
  done
  echo "conformance: $1 did not come up; see $work/*.log" >&2
  exit 1
}
(cd "$work/issuer" && TRUSTID_DATA_DIR="$work/issuer/var" exec "$bin/trustid-issuer" serve \
  --host 127.0.0.1 --port "$issuer_port" >"$work/issuer.log" 2>&1) &
pids+=($!)
wait_for "$issuer_url/healthz"
issuer_key=$(cd "$work/issuer" && TRUSTID_DATA_DIR="$work/issuer/var" "$bin/trustid-issuer" \
  agency create "W3C conformance" --types VerifiableCredential --json \
  | "$py" -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

# The suite's own fixtures are signed by two did:key issuers (tests/data-generator.js,
# tests/fixtures.js): a verifier that trusts only listed issuers must list them to verify
# its presentations. Bare VerifiableCredential (the open type) is the only type they
# issue, to subjects such as did:example:subject that are not the presenter: the list
# makes that type a bearer type (holderBinding: optional) for these issuers only, as the
# issuer's own open type file does (x-trustid-holderBinding: optional).
"$py" - "$work/trust.json" "$did" <<'PY'
import json, sys
path, did = sys.argv[1:]
issuers = [
    (did, "TrustID conformance issuer"),
    ("did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj", "W3C suite: local VP issuer"),
    ("did:key:zDnaeTQKDbXQT4batxKcnMQYQ8JynjqC5Xz1uMk5euG2ht8nq", "W3C suite: vp_jwt fixture issuer"),
]
entries = [
    {"id": i, "name": n, "types": ["VerifiableCredential"],
     "holderBinding": {"VerifiableCredential": "optional"}}
    for i, n in issuers
]
json.dump({"issuers": entries}, open(path, "w"), indent=2)
PY
metrics_token=$("$py" -c 'import secrets; print(secrets.token_urlsafe(24))')
verifier_env=(TRUSTID_DATA_DIR="$work/verifier/var" TRUSTID_TRUST_LIST="$work/trust.json"
  TRUSTID_ALLOW_INSECURE_HOSTS="127.0.0.1:$issuer_port" TRUSTID_VERIFIER_URL="$base"
  TRUSTID_METRICS_TOKEN="$metrics_token")
(cd "$work/verifier" && exec env "${verifier_env[@]}" "$bin/trustid-verifier" serve \
  --host 127.0.0.1 --port "$verifier_port" >"$work/verifier.log" 2>&1) &
pids+=($!)
wait_for "http://127.0.0.1:$verifier_port/healthz"
# The suite is a VC-API relying party: it makes its own challenges (one per run) and
# passes them in options.challenge, so its client owns them (--challenge-policy caller).
verifier_key=$(cd "$work/verifier" && env "${verifier_env[@]}" "$bin/trustid-verifier" \
  client create "W3C conformance" --challenge-policy caller --json \
  | "$py" -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$work/nginx/key.pem" -out "$work/nginx/cert.pem" 2>/dev/null
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 64; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  client_max_body_size 8m;
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $work/nginx/cert.pem;
    ssl_certificate_key $work/nginx/key.pem;
    proxy_set_header Host 127.0.0.1;
    location = /credentials/issue { proxy_pass http://127.0.0.1:$issuer_port; }
    location = /credentials/verify { proxy_pass http://127.0.0.1:$verifier_port; }
    location = /presentations/verify { proxy_pass http://127.0.0.1:$verifier_port; }
    location / { return 404; }
  }
}
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)

# A smoke test through TLS before the suite: issue the suite's credential-ok.json, verify it.
# Also two credentials with the caller's own status and schema entries beside the issuer's.
"$py" - "$base" "$issuer_key" "$verifier_key" "$work/nginx/cert.pem" "$did" \
  "$suite/tests/input/credential-ok.json" "$suite/tests/input/credential-status-ok.json" \
  "$suite/tests/input/credential-schemas-ok.json" <<'PY' | tee "$work/smoke.log"
import json, ssl, sys, urllib.error, urllib.request
base, issuer_key, verifier_key, cert, did, *fixtures = sys.argv[1:]
context = ssl.create_default_context(cafile=cert)
def post(path, key, body):
    request = urllib.request.Request(base + path, json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
for fixture in fixtures:
    name = fixture.rsplit("/", 1)[-1]
    credential = json.load(open(fixture)) | {"issuer": did}
    status, issued = post("/credentials/issue", issuer_key, {"credential": credential})
    print("smoke:", name, "issue", status, issued.get("code", ""), issued.get("detail", ""))
    if status == 201:
        status, result = post("/credentials/verify", verifier_key,
                              {"verifiableCredential": issued["verifiableCredential"]})
        failed = [c for c in result.get("checks", []) if c.get("status") != "passed"]
        print("smoke:", name, "verify", status, json.dumps(result.get("problemDetails") or failed)[:800])
PY

# -- 3. the suite --------------------------------------------------------------------------
cat > "$suite/localConfig.cjs" <<CJS
// Written by TrustID's scripts/conformance.sh: TrustID on loopback only.
const base = '$base';
const did = '$did';
const tags = ['vc2.0', 'EnvelopingProof'];
const bearer = name => ({Authorization: 'Bearer ' + process.env[name]});
module.exports = {
  settings: {enableInteropTests: false, testAllImplementations: false},
  implementations: [{
    name: 'TrustID',
    implementation: 'TrustID (loopback)',
    issuers: [{id: did, endpoint: base + '/credentials/issue', tags,
      headers: bearer('TRUSTID_CONFORMANCE_ISSUER_KEY')}],
    verifiers: [{id: did, endpoint: base + '/credentials/verify', tags,
      headers: bearer('TRUSTID_CONFORMANCE_VERIFIER_KEY')}],
    // Two entries for one endpoint: the suite picks a vpVerifier by tag. Its enveloped
    // presentation (fixtures.js vp_jwt, tests 4.13.2) answers challenge 123456789 for
    // audience example.com, but the suite posts only the challenge: this relying party
    // names the domain it asked for in the endpoint's options (a manifest feature).
    // The Data Integrity presentations (vc2.0) carry their own challenge and domain.
    vpVerifiers: [
      {id: did, endpoint: base + '/presentations/verify', tags: ['vc2.0'],
        headers: bearer('TRUSTID_CONFORMANCE_VERIFIER_KEY')},
      {id: did, endpoint: base + '/presentations/verify', tags: ['EnvelopingProof'],
        options: {domain: 'example.com'},
        headers: bearer('TRUSTID_CONFORMANCE_VERIFIER_KEY')}
    ]
  }]
};
CJS
set +e
(cd "$suite" && TRUSTID_CONFORMANCE_ISSUER_KEY="$issuer_key" \
  TRUSTID_CONFORMANCE_VERIFIER_KEY="$verifier_key" NODE_EXTRA_CA_CERTS="$work/nginx/cert.pem" \
  npx mocha tests/ --reporter spec --timeout 15000 --preserve-symlinks) | tee "$work/suite.log"
set -e
# Why the verifier refused what it refused: its problem counters (kind, stable code).
"$py" - "http://127.0.0.1:$verifier_port/metrics" "$metrics_token" <<'PY' | tee "$work/refusals.log"
import re, sys, urllib.request
url, token = sys.argv[1:]
request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
text = urllib.request.urlopen(request, timeout=10).read().decode()
for code, kind, count in re.findall(
    r'^trustid_verifier_problems_total\{code="([^"]*)",kind="([^"]*)"\} ([0-9.]+)$', text, re.M
):
    print(f"refused: {kind:<14} {code:<28} x{int(float(count))}")
PY
passing=$(grep -Eo '^ +[0-9]+ passing' "$work/suite.log" | grep -Eo '[0-9]+' || echo 0)
failing=$(grep -Eo '^ +[0-9]+ failing' "$work/suite.log" | grep -Eo '[0-9]+' || echo 0)
echo "conformance: $passing passing, $failing failing of $((passing + failing)) (log: $work/suite.log)"
