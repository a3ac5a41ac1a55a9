package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Command;

@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Re-read the proxy's config file and apply it without dropping a request (POST /admin/reload).")
final class ReloadCommand extends AdminCommand {

    ReloadCommand(Function<String, String> environment) {
        super(environment);
    }

    @Override
    int run(AdminClient admin, PrintWriter out) throws CliFailure {
        AdminAnswer answer = admin.post("admin/reload");
        if (answer.status() == 422) {
            throw new CliFailure(Exit.UNAVAILABLE, "reload refused, the running config keeps serving: "
                    + String.join("; ", lines(answer.json().path("problems"))));
        }
        JsonNode reload = Refusal.unlessOk(answer, admin).json();
        out.printf("reloaded (active %s, generation %d)%n", reload.path("active").asText(), reload.path("generation").asLong());
        List<String> changes = lines(reload.path("changes"));
        changes.forEach(c -> out.println("  changed           " + c));
        lines(reload.path("restartRequired")).forEach(c -> out.println("  restart required  " + c));
        if (changes.isEmpty()) {
            out.println("  nothing changed");
        }
        return Exit.OK;
    }

    private static List<String> lines(JsonNode array) {
        List<String> lines = new ArrayList<>();
        array.forEach(line -> lines.add(line.asText()));
        return lines;
    }
}
