"""Make docs/screenshot.png, the README's picture, from the current code and demo.

    .venv/bin/python docs/screenshot.py

A fresh install in a temporary data directory (migrate, collectstatic, load_demo), served
on loopback by ``manage.py serve``; Chromium (/usr/bin/chromium, through Playwright) reads
a demo case as an unknown, reveals it, and the revealed page is photographed at 1280 px.
Nothing of this machine is kept but the picture.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CASE = "ct004"  # the demo CT stack: the case page scrolls through it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lightbox-screenshot-") as data:
        env = {**os.environ, "LIGHTBOX_DATA_DIR": data}
        env.pop("DATABASE_URL", None)
        for command in (
            ["migrate", "--noinput", "--verbosity", "0"],
            ["collectstatic", "--noinput", "--verbosity", "0"],
            ["load_demo"],
        ):
            _manage(env, *command)
        port = _free_port()
        server = subprocess.Popen(
            [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(data) / "serve.log", "w"),  # noqa: SIM115 (closed with the server)
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 (loopback)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{base}/cases/{CASE}/")
                page.get_by_role("link", name="Show diagnosis").click()
                page.wait_for_load_state("networkidle")
                page.evaluate("window.scrollTo(0, 0)")  # the case from its top, revealed
                out = ROOT / "docs" / "screenshot.png"
                page.screenshot(path=str(out))
                browser.close()
            print(f"Wrote {out.relative_to(ROOT)}")
        except Exception:
            print((Path(data) / "serve.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
