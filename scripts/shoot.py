"""Screenshot pages as a signed-in user with Debian's Chromium, at phone and desktop widths.

    .venv/bin/python scripts/shoot.py --base http://127.0.0.1:8000 --user admin@demo.example \
        --out screenshots /o/demo/admin/members/ ...
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user")
    parser.add_argument("--password", default="recouple-demo")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--widths", default="375,1440")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width in (int(w) for w in args.widths.split(",")):
            page = browser.new_page(viewport={"width": width, "height": 900})
            if args.user:
                page.goto(args.base + "/accounts/login/")
                page.fill("input[name=username]", args.user)
                page.click("button[type=submit]")  # the email step, then the password
                page.fill("input[name=password]", args.password)
                page.click("button[type=submit]")
            for path in args.paths:
                page.goto(args.base + path)
                page.wait_for_load_state("networkidle")
                name = path.strip("/").replace("/", "_") or "root"
                target = out / f"{name}-{args.user or 'anon'}-{width}.png".replace("@", "_")
                page.screenshot(path=str(target), full_page=True)
                print(target)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
