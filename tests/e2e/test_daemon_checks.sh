#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# The daemon's checkers against real servers in the lab: HTTP_GET takes a
# server down on a status it does not expect, SSL_GET checks a real TLS
# server (nginx with a certificate made here), and MISC_CHECK with
# misc_dynamic sets a server's weight, which the split follows.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon_checks

if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
	not_ok "$E2E_NAME: nginx or openssl missing (run scripts/deps.sh)"
	exit 1
fi

e2e_daemon_lab c "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
CONF=$E2E_TMP/lbxdp.conf
hits=$E2E_TMP/hits
WEIGHT_FILE=$E2E_TMP/weight

# web2: nginx with TLS on 443, a certificate made for the test.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$W2" \
	-keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" 2>/dev/null
mkdir -p "$E2E_TMP/nginx"
cat >"$E2E_TMP/nginx.conf" <<EOF
daemon off;
pid $E2E_TMP/nginx/pid;
error_log $E2E_TMP/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $E2E_TMP/nginx;
    proxy_temp_path $E2E_TMP/nginx;
    fastcgi_temp_path $E2E_TMP/nginx;
    uwsgi_temp_path $E2E_TMP/nginx;
    scgi_temp_path $E2E_TMP/nginx;
    server {
        listen $W2:443 ssl;
        ssl_certificate $E2E_TMP/cert.pem;
        ssl_certificate_key $E2E_TMP/key.pem;
        location / { return 200 "tls ok\n"; }
        location /broken { return 503; }
    }
}
EOF
lab_bg web2 nginx nginx -c "$E2E_TMP/nginx.conf"
NGINX=$LAB_BG_PID

# web1's MISC_CHECK: exits with the code in WEIGHT_FILE (misc_dynamic: 2
# and above is up with weight code - 2).
cat >"$E2E_TMP/misc.sh" <<EOF
#!/bin/sh
exit \$(cat $WEIGHT_FILE)
EOF
chmod 755 "$E2E_TMP/misc.sh"
echo 3 >"$WEIGHT_FILE" # weight 1

# write_conf HTTP_PATH SSL_PATH
write_conf() {
	cat >"$CONF" <<EOF
lbxdp_xdp {
    mode $E2E_MODE
}
virtual_server $LAB_VIP 80 {
    delay_loop 1
    alpha
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server $W1 80 {
        weight 1
        HTTP_GET {
            url {
                path $1
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
        MISC_CHECK {
            misc_path "$E2E_TMP/misc.sh"
            misc_timeout 2
            misc_dynamic
        }
    }
    real_server $W2 80 {
        weight 2
        SSL_GET {
            url {
                path $2
                status_code 200
            }
            connect_port 443
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
EOF
}

# state HOST: its record's state; weight HOST: its weight.
field() {
	lab_lbxdp -j backend list >"$E2E_TMP/list.json" 2>/dev/null &&
		lab_json_backend "$E2E_TMP/list.json" "$(lab_ip "$1")" "$2"
}
is() { [ "$(field "$1" "$2")" = "$3" ]; }
summary() {
	echo "web1 $(lab_count web1 <"$1"), web2 $(lab_count web2 <"$1"), failed $(grep -c '^FAIL' "$1" || true)"
}

write_conf /index.html /
check "daemon -t takes the file" eval 'lab_lbxdp daemon -t -f "$CONF" 2>/dev/null'
lab_bg lb daemon "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
E2E_PIDS="${E2E_PIDS:-} $LAB_BG_PID"
e2e_wait 20 e2e_daemon_ready
e2e_wait 10 eval 'is web2 state up && is web1 state up'
check "SSL_GET against nginx's TLS: web2 up (alpha: not before it passed)" \
	is web2 state up
check "HTTP_GET 200 and MISC_CHECK exit 3: web1 up with weight 1" \
	eval 'is web1 state up && is web1 weight 1'

# misc_dynamic: exit 10 is weight 8; the split follows.
echo 10 >"$WEIGHT_FILE"
e2e_wait 10 is web1 weight 8
check "MISC_CHECK exits 10: web1's weight is 8 (misc_dynamic)" is web1 weight 8
lab_hits 40 >"$hits"
check "the split follows the weights 8:2 ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 28 36 "$(lab_count web2 <"$hits")" 4 12 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0
echo 1 >"$WEIGHT_FILE"
e2e_wait 10 is web1 state down
check "MISC_CHECK exits 1: web1 down" is web1 state down
echo 3 >"$WEIGHT_FILE"
e2e_wait 10 is web1 state up

# HTTP_GET of a page that is not there: 404 is not the 200 it expects.
write_conf /missing.html /
lab_lbxdp daemon reload >/dev/null
e2e_wait 10 is web1 state down
check "HTTP_GET gets 404 where it wants 200: web1 down" is web1 state down
lab_lbxdp -j backend list >"$E2E_TMP/list.json"
check "its reason names the status (HTTP 404)" \
	grep -q 'HTTP 404' "$E2E_TMP/list.json"
lab_hits 10 >"$hits"
check "web1 down: 10 connections all to web2 ($(summary "$hits"))" \
	[ "$(lab_count web2 <"$hits")" -eq 10 ]

# SSL_GET: a 503 and then no TLS server at all.
write_conf /index.html /broken
lab_lbxdp daemon reload >/dev/null
e2e_wait 10 eval 'is web2 state down && is web1 state up'
check "SSL_GET gets 503: web2 down, web1 back up" \
	eval 'is web2 state down && is web1 state up'
write_conf /index.html /
lab_lbxdp daemon reload >/dev/null
e2e_wait 10 is web2 state up
check "SSL_GET 200 again: web2 up" is web2 state up
kill "$NGINX"
e2e_wait 10 is web2 state down
check "nginx stopped: web2 down" is web2 state down
e2e_done
