/** What every layer shares: the socket transport, the lifecycle, hop-by-hop header names, JSON answers, log settings. */
package dev.turnout.base;
