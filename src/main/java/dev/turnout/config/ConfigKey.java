package dev.turnout.config;

import java.util.Optional;
import java.util.function.Function;

/**
 * One key of proxy.yaml as its reference documents it: path, default, form and why that default,
 * in Markdown, as docs/configuration.md shows them.
 *
 * @param shown how the reload change report writes the key's value; empty for a key it reports
 *              otherwise ({@code pools}), through its parent ({@code switch.smoke[].path}), or not
 *              at all ({@code active}, which only a first start reads)
 */
public record ConfigKey(String path, String defaultValue, String form, Optional<Function<ProxyConfig, String>> shown, String why) {

    /** The value the reload change report shows for this key, when it shows this key. */
    public Optional<String> shownIn(ProxyConfig config) {
        return shown.map(value -> value.apply(config));
    }
}
