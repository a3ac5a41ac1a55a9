package dev.turnout.cli;

/** The exit codes of the operator's commands; deploy scripts test them, so they never change meaning. */
public final class Exit {

    /** Done. */
    public static final int OK = 0;
    /** The admin API could not be reached, or answered an error other than those below. */
    public static final int UNAVAILABLE = 1;
    /** Bad arguments: an unknown flag, a malformed value, or a pool the admin API does not know. */
    public static final int USAGE = 2;
    /** Refused with 409: the switch gate, or a rollback with nothing to roll back to. */
    public static final int REFUSED = 3;
    /** The target pool stopped being active while {@code switch --watch} followed it. */
    public static final int ROLLED_BACK = 4;

    private Exit() {}
}
