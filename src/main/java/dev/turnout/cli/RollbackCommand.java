package dev.turnout.cli;

import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine.Command;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Flip back to the previous active pool (POST /admin/rollback) and show how the old pool drained.")
final class RollbackCommand extends FlipCommand {

    RollbackCommand(Function<String, String> environment) {
        super(environment);
    }

    @Override
    int run(AdminClient admin, PrintWriter out) throws CliFailure {
        AdminAnswer flip = Refusal.unlessOk(admin.post(flipPath("admin/rollback")), admin);
        out.print(FlipReport.of("rolled back", flip.json()));
        return Exit.OK;
    }
}
