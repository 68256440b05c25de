package io.jollama.server.web;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) driven through chromedriver, one per
 * test class. Missing packages fail the test with the command that installs them: these tests never skip.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("JOLLAMA_CHROMIUM", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("JOLLAMA_CHROMEDRIVER", "/usr/bin/chromedriver"));
    static final Dimension WIDE = new Dimension(1280, 900);
    static final Dimension PHONE = new Dimension(390, 844);
    /** Screenshots of each page at both widths, for people to look at. */
    static final Path SHOTS = Path.of("target", "web-screenshots");

    final ChromeDriver driver;
    private final Path profile;

    Browser() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new IllegalStateException("the web page's browser tests need Chromium and its driver (" + CHROMIUM + ", "
                    + CHROMEDRIVER + "): apt-get install -y chromium chromium-driver (.ci/run installs them)");
        }
        try {
            profile = Files.createTempDirectory("jollama-chromium");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // without the background-networking switches Chromium's own connections are refused on a closed network
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    void open(String url) {
        driver.get(url);
        waitFor("the page to start", d -> "true".equals(js("return document.body.dataset.ready || ''")));
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    Object jsAsync(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    <T> T waitFor(String what, Function<WebDriver, T> condition) {
        return waitFor(what, Duration.ofSeconds(20), condition);
    }

    <T> T waitFor(String what, Duration timeout, Function<WebDriver, T> condition) {
        WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(25));
        wait.withMessage("waiting for " + what);
        return wait.until(condition);
    }

    void size(Dimension d) {
        driver.manage().window().setSize(d);
    }

    /**
     * Writes {@code target/web-screenshots/<name>-wide.png} and {@code -phone.png}, then restores the wide window.
     * At both widths nothing may stick out sideways (no horizontal scrolling on a phone).
     */
    void screenshots(String name) {
        try {
            Files.createDirectories(SHOTS);
            for (var size : List.of(WIDE, PHONE)) {
                size(size);
                js("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
                Object wide = js("""
                        const vw = document.documentElement.clientWidth;
                        return [...document.querySelectorAll('body *')].filter(e => {
                          const r = e.getBoundingClientRect();
                          return r.width > 0 && r.right > vw + 1 && !e.closest('.table-wrap, pre, .md table, dialog:not([open])');
                        }).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className + ' right ' + Math.round(e.getBoundingClientRect().right) + ' > ' + vw);""");
                if (!((List<?>) wide).isEmpty()) throw new AssertionError(name + " at " + size + " is wider than the window: " + wide);
                byte[] png = driver.getScreenshotAs(OutputType.BYTES);
                Files.write(SHOTS.resolve(name + (size == WIDE ? "-wide" : "-phone") + ".png"), png);
            }
            size(WIDE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary profile left behind
            }
        }
    }
}
