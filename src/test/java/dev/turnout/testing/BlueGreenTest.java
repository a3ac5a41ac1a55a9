package dev.turnout.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A blue and a green test backend for each test, and a temp dir for Turnout's config and state. */
public abstract class BlueGreenTest {

    @TempDir
    protected Path dir;

    protected TestOrigin blue;
    protected TestOrigin green;

    @BeforeEach
    void startOrigins() throws Exception {
        blue = TestOrigin.start("blue");
        green = TestOrigin.start("green");
    }

    @AfterEach
    void stopOrigins() {
        blue.close();
        green.close();
    }

    /** Turnout with pools blue and green, plus any other keys. */
    protected ProxyHarness startProxy(String moreYaml) throws Exception {
        return ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green) + moreYaml);
    }
}
