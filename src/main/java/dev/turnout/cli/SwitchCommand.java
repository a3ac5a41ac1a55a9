package dev.turnout.cli;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Flip traffic to the other pool, or to --to POOL (POST /admin/switch), and show how the old pool drained.")
final class SwitchCommand extends FlipCommand {

    @Option(names = "--to", paramLabel = "POOL", description = "the pool to switch to (required with more than two pools)")
    String to;

    @Option(names = "--watch", paramLabel = "DURATION", converter = DurationArgument.class,
            description = "then follow the new pool for that long (90s, 5m, ...): exit 4 if traffic leaves it, by an automatic rollback or any other flip")
    Duration watch;

    SwitchCommand(Function<String, String> environment) {
        super(environment);
    }

    @Override
    int run(AdminClient admin, PrintWriter out) throws CliFailure {
        String path = to == null ? flipPath("admin/switch") : flipPath("admin/switch", "to=" + URLEncoder.encode(to, StandardCharsets.UTF_8));
        AdminAnswer flip = Refusal.unlessOk(admin.post(path), admin);
        out.print(FlipReport.of("switched", flip.json()));
        if (watch != null) {
            new ReleaseWatch(admin, out).follow(flip.text("to").orElseThrow(), watch);
        }
        return Exit.OK;
    }
}
