/** What every layer shares: the socket transport, the lifecycle, hop-by-hop header names, half-closes, JSON answers, log settings. */
package dev.turnout.base;
