/** The state file (active pool, generation, flip history), written atomically on every flip. */
package dev.turnout.state;
