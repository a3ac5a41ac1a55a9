package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import java.io.File;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, which .ci/run
 * installs), driven by Selenium: it loads, follows the events, and its buttons move traffic.
 */
class DashboardTest extends BlueGreenTest {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File DRIVER = new File("/usr/bin/chromedriver");
    private static final String CHECKS = "health: { interval: 100ms, timeout: 100ms, rise: 2, fall: 2 }\n";

    private WebDriver browser;
    private ProxyHarness proxy;

    @BeforeAll
    static void needsChromium() {
        assertThat(CHROMIUM.canExecute()).as("the dashboard test needs Debian's chromium: apt-get install -y chromium chromium-driver (.ci/run does)")
                .isTrue();
        assertThat(DRIVER.canExecute()).as("the dashboard test needs chromedriver: apt-get install -y chromium-driver (.ci/run does)").isTrue();
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private void open(String yaml) throws Exception {
        proxy = startProxy(yaml);
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM)
                // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        // The driver from Debian, named here: Selenium Manager would otherwise try to download one. Quitting the browser stops it.
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(DRIVER).usingAnyFreePort().build(), options);
        browser.get("http://127.0.0.1:" + proxy.admin().getPort() + "/");
    }

    private WebElement testid(String id) {
        return browser.findElement(By.cssSelector("[data-testid='" + id + "']"));
    }

    /**
     * The element's text, read in one script: the page re-renders its pool cards on every stats
     * event, so an element found in one call may be gone by the next.
     */
    private String text(String id) {
        return (String) ((JavascriptExecutor) browser).executeScript(
                "const e = document.querySelector(\"[data-testid='\" + arguments[0] + \"']\"); return e ? e.innerText : null;", id);
    }

    private void awaitText(String id, String text) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text(id)).isEqualTo(text));
    }

    @Test
    void switchingFromThePageMovesTrafficAndTheGateRefusalIsShown() throws Exception {
        open(CHECKS);
        awaitText("active-pool", "blue");
        awaitText("generation", "1");
        assertThat(text("pool-blue")).contains("active", blue.address());
        assertThat(text("pool-green")).contains("standby", green.address());
        // Live: the stats events fill the card without a reload.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("pool-blue")).contains("req/s 0.0"));
        Object marker = ((JavascriptExecutor) browser).executeScript("return window.turnoutTestMarker = 'same page';");

        testid("switch-button").click();
        assertThat(browser.findElement(By.id("dialog-text")).getText()).isEqualTo("Switch traffic from blue to green?");
        assertThat(proxy.server().traffic().current().active().name()).as("nothing moves before the confirmation").isEqualTo("blue");
        testid("confirm").click();
        awaitText("active-pool", "green");
        awaitText("generation", "2");
        assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("history"))
                .contains("generation 2: blue → green, manual"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("message"))
                .contains("switch: blue → green (generation 2)"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(text("drain-blue")).startsWith("drained 0 request(s) in");
            assertThat(text("watch-green")).matches("rollback watch: 0 requests, 0 errors \\(trips above 5\\.0%\\), \\d+ s left");
        });
        assertThat(((JavascriptExecutor) browser).executeScript("return window.turnoutTestMarker;")).isEqualTo(marker);

        // Blue goes down; switching back to it is refused, and the page says why.
        blue.healthStatus(503);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("pool-blue")).contains("down"));
        testid("switch-button").click();
        testid("confirm").click();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("message"))
                .contains("the switch gate refused blue (unhealthy)", blue.address() + ": status 503"));
        assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green");
        assertThat(text("active-pool")).isEqualTo("green");
    }

    @Test
    void cancelMovesNothingAndForceNeedsASecondConfirmation() throws Exception {
        open(CHECKS);
        awaitText("active-pool", "blue");
        testid("switch-button").click();
        testid("cancel").click();
        assertThat(text("message")).isEqualTo("cancelled");
        assertThat(proxy.server().traffic().current().active().name()).isEqualTo("blue");

        green.healthStatus(503);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("pool-green")).contains("down"));
        testid("force").click();
        testid("switch-button").click();
        testid("confirm").click();
        assertThat(browser.findElement(By.id("dialog-text")).getText()).startsWith("Force skips the health gate");
        assertThat(proxy.server().traffic().current().active().name()).isEqualTo("blue");
        testid("confirm").click();
        awaitText("active-pool", "green");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(text("message")).contains("forced"));

        testid("force").click();
        testid("rollback-button").click();
        testid("confirm").click();
        awaitText("active-pool", "blue");
        awaitText("generation", "3");
    }

    @Test
    void withATokenThePageAsksForItOnceAndKeepsItOutOfTheUrl() throws Exception {
        open(CHECKS + "admin: { listen: 127.0.0.1:0, token: s3cret-token }\n");
        WebElement input = await().atMost(Duration.ofSeconds(30)).until(() -> testid("token-input"), WebElement::isDisplayed);
        input.sendKeys("s3cret-token");
        testid("token-submit").click();
        awaitText("active-pool", "blue");
        assertThat(browser.getCurrentUrl()).doesNotContain("s3cret");
        assertThat(((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('turnout.adminToken');"))
                .isEqualTo("s3cret-token");
        // A reload of the tab keeps the token; it is not asked again.
        browser.navigate().refresh();
        awaitText("active-pool", "blue");
        assertThat(testid("token-input").isDisplayed()).isFalse();
    }
}
