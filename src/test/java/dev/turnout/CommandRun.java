package dev.turnout;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process run of a {@code turnout} command line: its exit code and what it printed. */
record CommandRun(int exit, String out, String err) {

    static CommandRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new CommandRun(exit, out.toString(), err.toString());
    }
}
