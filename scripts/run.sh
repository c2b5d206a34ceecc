#!/usr/bin/env bash
# Serve the web app and a real Celery worker (with beat: the daily reminder pass) together;
# emails go to the console. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
PY=.venv/bin/python
VAR_DIR="${RECOUPLE_VAR_DIR:-var}"
# Links in launch and reminder emails point at this server, on whatever port it runs.
export RECOUPLE_SITE_URL="${RECOUPLE_SITE_URL:-http://127.0.0.1:${PORT}}"

# -B: beat runs inside the worker (one process, one beat); its schedule file lives under var/.
.venv/bin/celery -A config worker -B --schedule="$VAR_DIR/celerybeat-schedule" \
  --loglevel=warning --concurrency=2 --pool=prefork &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM

cat <<MSG

  Recouple is running at http://127.0.0.1:${PORT}/
  Demo logins (password: recouple-demo):
    admin@demo.example    org admin
    leader@demo.example   leader
    lead@demo.example     team lead
    member@demo.example   member
  Emails (launch links, reminders) are printed by the worker below.
  Press Ctrl-C to stop the web server and the worker.

MSG
$PY manage.py runserver "0.0.0.0:${PORT}"
