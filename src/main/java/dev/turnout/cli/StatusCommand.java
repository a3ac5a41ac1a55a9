package dev.turnout.cli;

import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the pools, their backends' health and in-flight requests, the active pool, the generation and the rollback watch.")
final class StatusCommand extends AdminCommand {

    @Option(names = "--json", description = "print the admin API's JSON (GET /admin/status) as it came")
    boolean json;

    StatusCommand(Function<String, String> environment) {
        super(environment);
    }

    @Override
    int run(AdminClient admin, PrintWriter out) throws CliFailure {
        AdminAnswer status = Refusal.unlessOk(admin.get("admin/status"), admin);
        out.print(json ? status.raw() + System.lineSeparator() : StatusTable.of(status.json()));
        return Exit.OK;
    }
}
