package dev.turnout.cli;

import java.util.function.Function;
import picocli.CommandLine.Option;

/** A command that flips traffic: the query of its admin call carries {@code --force} and {@code --no-wait}. */
abstract class FlipCommand extends AdminCommand {

    @Option(names = "--force", description = "skip the switch gate (health, probe and smoke requests of the target pool)")
    boolean force;

    @Option(names = "--no-wait", description = "return right after the flip instead of once the old pool has drained")
    boolean noWait;

    FlipCommand(Function<String, String> environment) {
        super(environment);
    }

    /** {@code route}, e.g. {@code admin/switch}, with the flags as the admin API takes them. */
    String flipPath(String route, String... moreParameters) {
        StringBuilder path = new StringBuilder(route);
        char separator = '?';
        for (String parameter : moreParameters) {
            path.append(separator).append(parameter);
            separator = '&';
        }
        if (force) {
            path.append(separator).append("force=true");
            separator = '&';
        }
        if (noWait) {
            path.append(separator).append("wait=false");
        }
        return path.toString();
    }
}
