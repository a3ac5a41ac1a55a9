package dev.turnout.cli;

import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine;

/** Adds the operator's commands to the {@code turnout} command line. */
public final class OperatorCommands {

    private OperatorCommands() {}

    /** {@code environment} gives {@code TURNOUT_ADMIN_TOKEN}: {@code System::getenv}, or a map in tests. */
    public static CommandLine register(CommandLine root, Function<String, String> environment) {
        root.addSubcommand(new StatusCommand(environment))
                .addSubcommand(new SwitchCommand(environment))
                .addSubcommand(new RollbackCommand(environment))
                .addSubcommand(new HistoryCommand(environment))
                .addSubcommand(new ReloadCommand(environment));
        root.setParameterExceptionHandler(new OneLineUsageErrors(root.getParameterExceptionHandler()));
        return root;
    }

    /** A bad argument to an operator's command is one line on stderr and exit 2; other commands keep picocli's way. */
    private record OneLineUsageErrors(CommandLine.IParameterExceptionHandler others) implements CommandLine.IParameterExceptionHandler {

        @Override
        public int handleParseException(CommandLine.ParameterException e, String[] args) throws Exception {
            CommandLine command = e.getCommandLine();
            if (!(command.getCommandSpec().userObject() instanceof AdminCommand)) {
                return others.handleParseException(e, args);
            }
            PrintWriter err = command.getErr();
            err.println("turnout: " + command.getCommandName() + ": " + e.getMessage() + " (see turnout " + command.getCommandName() + " --help)");
            err.flush();
            return Exit.USAGE;
        }
    }
}
