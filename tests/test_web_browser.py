"""``codelookup serve`` in a real browser: headless Chromium driven by Selenium.

Skips with the reason printed when Chromium, its driver or Selenium is missing (``.ci/run``
installs Debian's ``chromium`` and ``chromium-driver`` when it runs as root).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install '.[test]')")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM or not DRIVER:
        pytest.skip("no Chromium or chromedriver on PATH (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=DRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Any, timeout: float = 20) -> Any:
    return WebDriverWait(driver, timeout).until(condition)


def no_alert(driver: Any) -> bool:
    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_type_a_query_follow_a_result_and_go_back(browser: Any, live_server: str) -> None:
    browser.get(live_server + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("heart attack")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results a.hit"))
    assert "/search?q=heart+attack" in browser.current_url
    first = browser.find_element(By.CSS_SELECTOR, "#results a.hit .code").text
    assert first == "I21.9"
    box.send_keys(Keys.ARROW_DOWN)
    assert browser.switch_to.active_element.get_attribute("class") == "hit"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser, lambda d: "/code/" in d.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "h1 .code").text == "I21.9"
    browser.back()
    wait(browser, lambda d: "/search" in d.current_url and d.find_elements(By.CSS_SELECTOR, "#results a.hit"))
    assert browser.find_element(By.ID, "q").get_attribute("value") == "heart attack"


def test_code_page_sections_chips_and_deep_links(browser: Any, live_server: str) -> None:
    browser.get(live_server + "/code/62264")
    ids = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section.card")]
    for slug in ("name", "summary", "purpose", "indications", "preparation", "procedure-description", "duration",
                 "setting", "personnel", "risks-and-complications", "benefits", "recovery", "alternatives",
                 "patient-experience", "medical-policies", "health-plan-policies", "similar-codes"):
        assert slug in ids
    browser.find_element(By.LINK_TEXT, "Risks and Complications").click()
    wait(browser, lambda d: "section=" in d.current_url)
    ids = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section.card")]
    assert ids == ["risks-and-complications"]
    browser.get(live_server + "/code/62264#risks")
    wait(browser, lambda d: d.execute_script("return window.scrollY") > 200)


@pytest.mark.parametrize(
    "payload", ["<script>window.__xss=1;alert(1)</script>", '"><img src=x onerror="window.__xss=1;alert(1)">']
)
def test_hostile_text_never_executes(browser: Any, live_server: str, payload: str) -> None:
    for url in (f"{live_server}/search?q={quote(payload)}", f"{live_server}/code/{quote(payload, safe='')}"):
        browser.get(url)
        assert no_alert(browser)
        assert browser.execute_script("return window.__xss === undefined")
    browser.get(live_server + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys(payload)
    wait(browser, lambda d: d.find_element(By.ID, "status").text)
    assert no_alert(browser)
    assert browser.execute_script("return window.__xss === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, "#results img")


def test_phone_width_has_no_sideways_scrolling(browser: Any, live_server: str) -> None:
    browser.set_window_size(390, 844)
    try:
        for path in ("/", "/search?q=epidural", "/code/62264", "/code/E11.621"):
            browser.get(live_server + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, path
    finally:
        browser.set_window_size(1280, 900)
