package dev.turnout.cli;

/** Why a command stopped: its exit code and one line for stderr. */
final class CliFailure extends Exception {

    final int exit;

    CliFailure(int exit, String line) {
        super(line, null, false, false);
        this.exit = exit;
    }
}
