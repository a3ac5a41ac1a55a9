package dev.turnout.config;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Replaces {@code ${NAME}} and {@code ${NAME:-default}} the way a shell does: unset becomes empty. */
final class EnvSubstitution {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Function<String, String> env;

    EnvSubstitution(Function<String, String> env) {
        this.env = env;
    }

    String apply(String value) {
        if (value.indexOf("${") < 0) {
            return value;
        }
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String found = env.apply(m.group(1));
            String replacement = found != null && !found.isEmpty() ? found : m.group(2) != null ? m.group(2) : "";
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
