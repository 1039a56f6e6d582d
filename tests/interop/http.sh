#!/usr/bin/env bash
# http.sh: curl and python's http.client against `synack serve` over TUN:
# a small GET, a 10 MB download and a 10 MB upload, each checked by SHA-256
# on both ends (the server reports the upload's digest).
source "$(dirname "$0")/lib.sh"
interop_init http curl python3 sha256sum

SIZE_MB=${SYNACK_INTEROP_MB:-10}
mkdir "$WORK/root"
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$WORK/root/big.bin"
want=$(sha "$WORK/root/big.bin")
start_serve "$WORK/serve.log" --root "$WORK/root" --stats

body=$(in_ns curl -sS -m 10 "http://$SYNACK_ADDR/")
[ "$body" = "hello from synack" ] || fail "GET / said '$body'"
echo "curl GET /: $body"

in_ns curl -sS -m 120 -o "$WORK/got.bin" "http://$SYNACK_ADDR/big.bin"
[ "$(sha "$WORK/got.bin")" = "$want" ] || fail "curl download: sha256 differs"
echo "curl GET ${SIZE_MB} MB: sha256 $want matches"

up=$(in_ns curl -sS -v -m 120 --data-binary @"$WORK/root/big.bin" "http://$SYNACK_ADDR/upload" 2>"$WORK/curl-up.log")
[ "$up" = "sha256 $want bytes $((SIZE_MB * 1000000))" ] || fail "curl upload: server said '$up'"
# curl sends "Expect: 100-continue" with a large body and waits a second
# for the interim response before sending it (RFC 9110 §10.1.1)
grep -q '^> Expect: 100-continue' "$WORK/curl-up.log" || fail "curl upload: no Expect header sent"
grep -q '^< HTTP/1.1 100 Continue' "$WORK/curl-up.log" || fail "curl upload: no 100 Continue from synack serve"
echo "curl POST ${SIZE_MB} MB: 100 Continue, server's sha256 matches"

code=$(in_ns curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://$SYNACK_ADDR/missing")
[ "$code" = 404 ] || fail "GET /missing: $code"

in_ns python3 - "$SYNACK_ADDR" "$want" <<'PY'
import hashlib, http.client, sys
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=60)
c.request("GET", "/big.bin")
r = c.getresponse()
data = r.read()
assert r.status == 200, r.status
assert hashlib.sha256(data).hexdigest() == sys.argv[2], "sha256 differs"
assert r.getheader("Connection") == "close"
print("python http.client GET: %d bytes, sha256 matches" % len(data))
PY
stop_pid "$SERVE_PID"
grep -q "illegal" "$WORK/serve.log" && fail "illegal transitions"
cat "$WORK/serve.log"
echo "PASS http"
