package dev.turnout.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * An operator's command: it calls the admin API at {@code --admin} with the token from
 * {@code TURNOUT_ADMIN_TOKEN}, and ends with an {@link Exit} code; a failure is one line on stderr.
 */
abstract class AdminCommand implements Callable<Integer> {

    static final String TOKEN_VARIABLE = "TURNOUT_ADMIN_TOKEN";

    @Option(names = "--admin", paramLabel = "URL", defaultValue = "http://127.0.0.1:9090", converter = AdminUrl.class,
            description = "the admin API (default: ${DEFAULT-VALUE}); the token comes from " + TOKEN_VARIABLE)
    URI admin;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private final Function<String, String> environment;

    AdminCommand(Function<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(new AdminClient(admin, token()), out);
        } catch (CliFailure failure) {
            err.println("turnout: " + failure.getMessage());
            return failure.exit;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Does the command's work, printing to {@code out}; returns its exit code. */
    abstract int run(AdminClient admin, PrintWriter out) throws CliFailure;

    private Optional<String> token() {
        return Optional.ofNullable(environment.apply(TOKEN_VARIABLE)).map(String::trim).filter(t -> !t.isEmpty());
    }
}
