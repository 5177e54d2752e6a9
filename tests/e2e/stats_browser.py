#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The stats page in a real browser, for test_stats_browser.sh: headless
Chromium driven by Selenium (apt's chromium, chromium-driver and
python3-selenium: /usr/bin/python3), one browser (its own profile under
TMP) for the whole session, as Chromium takes seconds to start here.

  stats_browser.py TMP URL USER:PASS SVC RS_DOWN RS_DRAIN SECS CMD...

prints one JSON object, a key a step (a step that raised holds "error"):

  unauth  URL without credentials: the main response's status and
          headers, from the browser's own network log, and the text shown
  rows    logged in: the page's real server rows (svc, rs, state, class,
          weight, background colour) and its meta refresh
  watch   runs CMD with the page open (it stops RS_DOWN's server), then
          waits up to SECS, never reloading the page itself, for the
          page's own meta refresh to show RS_DOWN down: the row as it was,
          as it became, and how many documents the refreshes loaded
  click   a real mouse click on RS_DRAIN's "drain" button in SVC's table,
          the page it leads to, RS_DRAIN's row there and, up to SECS
          later, after the page's own refreshes show it drain
  csv, json  URL;csv and URL;json as the browser gets them: their text,
          shown inline or saved as a download

Once logged in, every request of the tab carries an Authorization header
(CDP Network.setExtraHTTPHeaders): the meta refresh and the form's POST
carry it as a logged-in operator's browser does.
"""
import base64
import json
import os
import re
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LOAD_TIMEOUT = 15  # s: one page load


def browser(tmp):
    prof = os.path.join(tmp, "profile")
    dl = os.path.join(tmp, "downloads")
    os.makedirs(prof, exist_ok=True)
    os.makedirs(dl, exist_ok=True)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--no-first-run",
              "--no-default-browser-check", "--disable-extensions",
              "--disable-background-networking", "--disable-sync",
              "--disable-component-update", "--window-size=1280,1024",
              "--user-data-dir=" + prof):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    opts.add_experimental_option("prefs", {
        "download.default_directory": dl,
        "download.prompt_for_download": False,
    })
    svc = Service(executable_path=CHROMEDRIVER,
                  log_path=os.path.join(tmp, "chromedriver.log"))
    d = webdriver.Chrome(service=svc, options=opts)
    d.set_page_load_timeout(LOAD_TIMEOUT)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Browser.setDownloadBehavior", {
        "behavior": "allow", "downloadPath": dl})
    return d


def login(d, cred):
    tok = base64.b64encode(cred.encode()).decode()
    d.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                      {"headers": {"Authorization": "Basic " + tok}})
    return {}


def responses(d):
    """The Network.responseReceived events of the log since the last call."""
    out = []
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.responseReceived":
            out.append(m["params"])
    return out


def rgb(s):
    m = re.match(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", s or "")
    if not m or (m.group(4) is not None and float(m.group(4)) == 0):
        return None
    return [int(m.group(i)) for i in (1, 2, 3)]


# The rows as the browser lays them out: a row's colour is its own
# background, or its first cell's when the row's is transparent.
ROWS_JS = """
const out = [];
for (const t of document.querySelectorAll('table.vs')) {
  for (const r of t.querySelectorAll('tr.rs')) {
    const c = r.querySelector('td, th');
    out.push({svc: t.dataset.svc, rs: r.dataset.rs, state: r.dataset.state,
      weight: r.dataset.weight, cls: r.className,
      bg_row: getComputedStyle(r).backgroundColor,
      bg_cell: c ? getComputedStyle(c).backgroundColor : '',
      text: r.innerText});
  }
}
return out;
"""


def rows(d):
    out = d.execute_script(ROWS_JS)
    for r in out:
        r["bg"] = rgb(r.pop("bg_row")) or rgb(r.pop("bg_cell", ""))
        r.pop("bg_cell", None)
    return out


def meta_refresh(d):
    return d.execute_script(
        "const m = document.querySelector('meta[http-equiv=\"refresh\" i]');"
        "return m ? m.content : null;")


def text_shown(d):
    return d.execute_script("return document.body ? "
                            "document.body.innerText : ''")


def cmd_unauth(d, url):
    responses(d)
    d.get(url)
    main = [r for r in responses(d) if r.get("type") == "Document"]
    r = main[-1]["response"] if main else {}
    return {"status": r.get("status"),
            "headers": {k.lower(): v for k, v in
                        r.get("headers", {}).items()},
            "body": text_shown(d)}


def cmd_rows(d, url):
    d.get(url)
    return {"refresh": meta_refresh(d), "rows": rows(d)}


def find_row(rs_list, rs):
    for r in rs_list:
        if r["rs"] == rs:
            return r
    return None


def new_document(d):
    """Whether the tab shows a document loaded since the last call (the
    mark of the last one is gone); marks it."""
    fresh = d.execute_script("return window.lbxdpMark !== 1 && "
                             "document.readyState === 'complete';")
    if fresh:
        d.execute_script("window.lbxdpMark = 1;")
    return fresh


def cmd_watch(d, url, rs, state, secs, cmd):
    d.get(url)
    new_document(d)
    first = find_row(rows(d), rs)
    t0 = time.monotonic()
    ran = subprocess.run(cmd).returncode
    loads, row, end = 0, None, t0 + secs
    while time.monotonic() < end:
        try:
            fresh = new_document(d)
            if fresh:
                loads += 1
                row = find_row(rows(d), rs)
                if row and row["state"] == state:
                    break
        except WebDriverException:  # the document went away mid-call
            pass
        time.sleep(0.05)
    return {"first": first, "cmd_rc": ran, "loads": loads, "row": row,
            "secs": round(time.monotonic() - t0, 2),
            "refresh": meta_refresh(d), "url": d.current_url}


def cmd_click(d, url, svc, rs, action, state, secs):
    d.get(url)
    new_document(d)
    responses(d)
    tries, end = 0, time.monotonic() + LOAD_TIMEOUT
    while time.monotonic() < end and "?action=" not in d.current_url:
        try:
            # Right after a load (the page refreshes itself): the click
            # and its POST have most of a refresh period to themselves.
            if tries and not new_document(d):
                time.sleep(0.02)
                continue
            t = d.find_element(By.CSS_SELECTOR,
                               'table.vs[data-svc="%s"]' % svc)
            r = t.find_element(By.CSS_SELECTOR, 'tr.rs[data-rs="%s"]' % rs)
            b = r.find_element(
                By.CSS_SELECTOR,
                'form.act button[name="action"][value="%s"]' % action)
            tries += 1
            # A real mouse click at the button's place, as an operator's.
            ActionChains(d).move_to_element(b).click().perform()
            wait = time.monotonic() + 5
            while (time.monotonic() < wait and
                   "?action=" not in d.current_url):
                time.sleep(0.05)
        except WebDriverException:  # a refresh replaced the document
            time.sleep(0.05)
    seen = [{"url": x["response"]["url"], "status": x["response"]["status"]}
            for x in responses(d) if x.get("type") == "Document"]
    landed, body = d.current_url, text_shown(d)
    # The daemon learns of the operator's change at its next read of the
    # maps (a second at most): the page may show it one refresh later.
    new_document(d)
    at_once = row = find_row(rows(d), rs)
    loads, end = 0, time.monotonic() + secs
    while time.monotonic() < end and not (row and row["state"] == state):
        try:
            if new_document(d):
                loads += 1
                row = find_row(rows(d), rs)
        except WebDriverException:  # the document went away mid-call
            pass
        time.sleep(0.05)
    return {"url": landed, "clicks": tries, "documents": seen, "body": body,
            "at_once": at_once, "row": row, "loads": loads}


def cmd_export(d, url, tmp):
    dl = os.path.join(tmp, "downloads")
    before = set(os.listdir(dl))
    responses(d)
    try:
        d.get(url)
    except WebDriverException:  # a download leaves no document to wait for
        pass
    seen = [{"url": x["response"]["url"], "status": x["response"]["status"],
             "type": x["response"].get("mimeType")}
            for x in responses(d) if x.get("type") == "Document"]
    if d.current_url == url:  # shown inline: a <pre> of the text
        return {"how": "inline", "documents": seen,
                "text": d.execute_script(
                    "const p = document.querySelector('pre');"
                    "return p ? p.textContent : document.body.innerText;")}
    text, end = None, time.monotonic() + LOAD_TIMEOUT
    while time.monotonic() < end and text is None:
        new = [f for f in set(os.listdir(dl)) - before
               if not f.endswith(".crdownload")]
        if new:
            with open(os.path.join(dl, new[0])) as f:
                text = f.read()
        time.sleep(0.1)
    return {"how": "download", "documents": seen, "text": text}


def main(argv):
    tmp, url, cred, svc, rs_down, rs_drain = argv[1:7]
    secs, cmd = float(argv[7]), argv[8:]
    steps = [
        ("unauth", lambda d: cmd_unauth(d, url)),
        ("login", lambda d: login(d, cred)),
        ("rows", lambda d: cmd_rows(d, url)),
        ("watch", lambda d: cmd_watch(d, url, rs_down, "down", secs, cmd)),
        ("click", lambda d: cmd_click(d, url, svc, rs_drain, "drain", "drain",
                                     secs)),
        ("csv", lambda d: cmd_export(d, url + ";csv", tmp)),
        ("json", lambda d: cmd_export(d, url + ";json", tmp)),
    ]
    out = {}
    d = browser(tmp)
    try:
        for name, step in steps:
            t0 = time.monotonic()
            try:
                out[name] = step(d)
            except Exception as e:  # the test says which step failed
                out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
            if isinstance(out[name], dict):
                out[name]["step_s"] = round(time.monotonic() - t0, 2)
    finally:
        d.quit()
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main(sys.argv)
