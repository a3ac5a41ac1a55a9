package dev.turnout.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Turnout or Netty logged an ERROR while it ran: an exception that a handler
 * caught and closed a connection over would otherwise pass unseen. Registered for every test class.
 */
public final class ErrorLogGuard implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        LogCapture.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> errors = LogCapture.errors();
        LogCapture.clear();
        if (!errors.isEmpty()) {
            throw new AssertionError("errors were logged in " + context.getDisplayName() + ":\n" + String.join("\n", errors));
        }
    }
}
