package dev.turnout.config;

import java.util.List;

/** A config that cannot be used; each problem names the key path and the expected form. */
public final class ConfigException extends Exception {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
