package dev.turnout.cli;

import dev.turnout.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** A duration written as in proxy.yaml ({@code 90s}, {@code 5m}), above zero. */
final class DurationArgument implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return Durations.parse(value).filter(d -> !d.isZero())
                .orElseThrow(() -> new CommandLine.TypeConversionException(
                        "\"" + value + "\" is not a duration (expected: above zero, like 90s, 5m, 1h)"));
    }
}
