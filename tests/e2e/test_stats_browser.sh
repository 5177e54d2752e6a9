#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# The daemon's stats page in a real browser (headless Chromium, Selenium:
# tests/e2e/stats_browser.py) in the lb namespace, as an operator uses it:
# no credentials get 401 with the realm; logged in, the table shows both
# real servers and their weights; a stopped web server's row turns red
# through the page's own meta refresh; a click on "drain" in the page
# sets weight 0 in `lbxdp backend list`, and the page's refresh shows the
# row drained (the page the action leads to may not yet: the daemon reads
# an operator's change from the maps once a second); the CSV and JSON
# exports the browser fetches parse.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck disable=SC2034 # variables read in the eval strings
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init stats_browser

# apt's python3-selenium is /usr/bin/python3's; chromium and its driver.
PY=/usr/bin/python3
for f in /usr/bin/chromium /usr/bin/chromedriver; do
	if [ ! -x "$f" ]; then
		not_ok "$E2E_NAME: $f missing (run scripts/deps.sh)"
		exit 1
	fi
done
if ! "$PY" -c 'import selenium' 2>/dev/null; then
	not_ok "$E2E_NAME: python3-selenium missing (run scripts/deps.sh)"
	exit 1
fi

e2e_daemon_lab browser "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
ST=$(lab_state)
CONF=$E2E_TMP/lbxdp.conf
LOG=$ST/daemon.log
PORT=1080
REALM="lbxdp lab"
CRED=admin:s3cret-admin
BASE=http://127.0.0.1:$PORT
SVC=$LAB_VIP:80/tcp
# Down within delay_loop + connect_timeout of the stop, on the page one
# refresh later; the wait's bound leaves room for a loaded machine.
REFRESH=1
BOUND=10

cat >"$CONF" <<EOF
global_defs {
    router_id lbbrowser
}
lbxdp_xdp {
    mode $E2E_MODE
}
lbxdp_stats {
    bind 127.0.0.1:$PORT
    uri /stats
    realm "$REALM"
    auth $CRED
    admin admin
    refresh ${REFRESH}s
}
virtual_server $LAB_VIP 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server $W1 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server $W2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
EOF

# jq_py STEP EXPR [ARG...]: EXPR of STEP's JSON (d) in the session's
# output, printed, a list or a dict as JSON; the ARGs are the list a.
jq_py() {
	local step=$1 expr=$2
	shift 2
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])).get(sys.argv[2], {})
a = sys.argv[4:]
v = eval(sys.argv[3])
print(json.dumps(v) if isinstance(v, (list, dict)) else v)' \
		"$E2E_TMP/session.json" "$step" "$expr" "$@"
}
state() {
	lab_lbxdp -j backend list "$LAB_SVC" >"$E2E_TMP/list.json" 2>/dev/null || return 0
	lab_json_backend "$E2E_TMP/list.json" "$(lab_ip "$1")" "$2"
}
# row RS FIELD: FIELD of row RS in the rows step.
row() {
	jq_py rows "[r for r in d[\"rows\"] if r[\"rs\"] == a[0]][0][a[1]]" "$1" "$2" 2>/dev/null
}
# reddish R G B: red clearly above green and blue.
reddish() { [ "$1" -ge 128 ] && [ $(($1 - $2)) -ge 40 ] && [ $(($1 - $3)) -ge 40 ]; }

lab_bg lb daemon "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
E2E_PIDS="${E2E_PIDS:-} $LAB_BG_PID"
e2e_wait 20 e2e_daemon_ready
e2e_wait 20 eval '[ "$(state web1 health)" = up ] && [ "$(state web2 health)" = up ]'

# One browser for it all (Chromium takes seconds to start): the steps are
# stats_browser.py's; web1's server is stopped with the page open. Its
# HOME and profile are E2E_TMP's, gone with it.
mkdir -p "$E2E_TMP/home"
HOME=$E2E_TMP/home timeout 90 ip netns exec "${LAB_PREFIX}lb" \
	"$PY" "$E2E_DIR/stats_browser.py" "$E2E_TMP/browser" "$BASE/stats" \
	"$CRED" "$SVC" "$W1" "$W2" "$BOUND" kill "$(lab_web_pid web1)" \
	>"$E2E_TMP/session.json" 2>"$E2E_TMP/session.err" || true

check "no credentials: the browser gets 401 with the realm" \
	eval '[ "$(jq_py unauth "d[\"status\"]")" = 401 ] &&
		[ "$(jq_py unauth "d[\"headers\"].get(\"www-authenticate\")")" = "Basic realm=\"$REALM\"" ]'
check "no credentials: no real server shown" \
	eval '[ "$(jq_py unauth "a[0] in d[\"body\"] or a[1] in d[\"body\"]" "$W1" "$W2")" = False ]'
check "logged in: the table of $SVC shows both real servers" \
	eval '[ "$(jq_py rows "sorted(r[\"rs\"] for r in d[\"rows\"] if r[\"svc\"] == a[0])" "$SVC")" = "[\"$W1\", \"$W2\"]" ]'
check "logged in: their weights, 1 and 2, both up" \
	eval '[ "$(row "$W1" weight)/$(row "$W2" weight)" = 1/2 ] &&
		[ "$(row "$W1" state)/$(row "$W2" state)" = up/up ]'
check "the page refreshes itself every ${REFRESH} s (meta refresh)" \
	eval '[ "$(jq_py rows "d[\"refresh\"]")" = "$REFRESH" ]'

check "web1's row is up when the page opens" \
	eval '[ "$(jq_py watch "d[\"first\"][\"state\"]")" = up ]'
check "web1 stopped: its row turns st-down by the meta refresh alone ($(jq_py watch "d[\"loads\"]" 2>/dev/null) loads, $(jq_py watch "d[\"secs\"]" 2>/dev/null) s)" \
	eval '[ "$(jq_py watch "d[\"cmd_rc\"]")" = 0 ] &&
		[ "$(jq_py watch "d[\"row\"][\"state\"]")" = down ] &&
		jq_py watch "d[\"row\"][\"cls\"]" | grep -qw st-down &&
		[ "$(jq_py watch "d[\"loads\"]")" -ge 1 ]'
read -r R G B <<<"$(jq_py watch "\" \".join(map(str, d[\"row\"][\"bg\"]))" 2>/dev/null || true)"
check "web1's row is red: computed background rgb(${R:-?}, ${G:-?}, ${B:-?})" \
	eval 'reddish "$R" "$G" "$B"'

check "a click on web2's drain: the page comes back (303 to /stats?action=done)" \
	eval 'jq_py click "d[\"url\"]" | grep -q "/stats?action=done$"'
check "web2's row turns st-drain by the meta refresh, weight 0 ($(jq_py click "d[\"at_once\"][\"state\"]" 2>/dev/null) on the page the action led to, then $(jq_py click "d[\"loads\"]" 2>/dev/null) loads)" \
	eval '[ "$(jq_py click "d[\"row\"][\"state\"]")" = drain ] &&
		jq_py click "d[\"row\"][\"cls\"]" | grep -qw st-drain &&
		[ "$(jq_py click "d[\"row\"][\"weight\"]")" = 0 ]'
check "backend list: web2 weight 0 (drained), web1 down" \
	eval '[ "$(state web2 weight)" = 0 ] && [ "$(state web1 health)" = down ]'
check "the action is logged with the user" \
	eval 'grep -q "stats: admin from 127.0.0.1: drain of $SVC $W2: done" "$LOG"'

check "CSV fetched by the browser ($(jq_py csv "d[\"how\"]" 2>/dev/null)): HAProxy's header, a row for each real server" \
	eval 'jq_py csv "d[\"text\"]" >"$E2E_TMP/s.csv" && head -1 "$E2E_TMP/s.csv" | grep -q "^# pxname,svname," &&
		"$PY" -c "import csv,sys; r=list(csv.reader(open(sys.argv[1]))); sys.exit(0 if sum(1 for x in r if len(x)>1 and x[1] in (sys.argv[2], sys.argv[3])) == 2 else 1)" "$E2E_TMP/s.csv" "$W1" "$W2"'
check "JSON fetched by the browser ($(jq_py json "d[\"how\"]" 2>/dev/null)): parses; web1 down, web2 drain, both weight 0" \
	eval '[ "$(jq_py json "sorted((r[\"address\"], r[\"state\"], r[\"weight\"]) for v in json.loads(d[\"text\"])[\"virtual_servers\"] for r in v[\"real_servers\"])")" = "[[\"$W1\", \"down\", 0], [\"$W2\", \"drain\", 0]]" ]'

if [ "$E2E_FAILED" -ne 0 ]; then
	diag "$(head -c 6000 "$E2E_TMP/session.json")" "$(tail -5 "$E2E_TMP/session.err")"
	diag "$(grep -i stats "$LOG" | tail -10)"
fi
e2e_done
