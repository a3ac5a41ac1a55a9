/**
 * The operator's commands ({@code turnout status}, {@code switch}, {@code rollback}, {@code history},
 * {@code reload}): clients of the admin API that talk to it over HTTP only, never to the running
 * proxy's objects. Exit codes are in {@link dev.turnout.cli.Exit}.
 */
package dev.turnout.cli;
