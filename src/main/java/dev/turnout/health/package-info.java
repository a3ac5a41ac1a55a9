/** Active health checks and one-shot probes (the gate's and the smoke requests); results go to {@code routing.BackendHealth}. */
package dev.turnout.health;
