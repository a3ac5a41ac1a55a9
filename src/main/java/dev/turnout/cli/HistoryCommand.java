package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "history", mixinStandardHelpOptions = true,
        description = "List the last flips, newest first (GET /admin/history).")
final class HistoryCommand extends AdminCommand {

    @Option(names = "--limit", paramLabel = "N", description = "show at most N flips (default: all the admin API keeps, 100)")
    int limit = Integer.MAX_VALUE;

    @Option(names = "--json", description = "print the flips as a JSON array, as the admin API gives them")
    boolean json;

    HistoryCommand(Function<String, String> environment) {
        super(environment);
    }

    @Override
    int run(AdminClient admin, PrintWriter out) throws CliFailure {
        if (limit < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--limit: " + limit + " (expected: 1 or more)");
        }
        JsonNode flips = Refusal.unlessOk(admin.get("admin/history"), admin).json();
        if (json) {
            ArrayNode shown = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < Math.min(limit, flips.size()); i++) {
                shown.add(flips.get(i));
            }
            out.println(shown);
            return Exit.OK;
        }
        if (flips.isEmpty()) {
            out.println("no flips yet");
            return Exit.OK;
        }
        Table table = new Table("AT", "FROM", "TO", "GENERATION", "REASON", "BY", "DRAIN", "DETAIL");
        for (int i = 0; i < Math.min(limit, flips.size()); i++) {
            JsonNode flip = flips.get(i);
            table.row(flip.path("at").asText(), flip.path("from").asText(), flip.path("to").asText(), flip.path("generation").asText(),
                    flip.path("reason").asText() + (flip.path("forced").asBoolean() ? " (forced)" : ""), flip.path("by").asText(),
                    drain(flip), flip.path("detail").isTextual() ? flip.get("detail").asText() : "");
        }
        out.print(table);
        return Exit.OK;
    }

    private static String drain(JsonNode flip) {
        if (flip.path("drained").isNull() || flip.path("drained").isMissingNode()) {
            return "running";
        }
        return (flip.get("drained").asBoolean() ? "" : "timed out after ") + flip.path("drainMillis").asLong() + " ms";
    }
}
