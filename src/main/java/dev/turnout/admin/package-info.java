/** The admin API on its own listener: switch, rollback, reload, status and history; flips are serialized on the admin executor. */
package dev.turnout.admin;
