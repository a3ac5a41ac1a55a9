/** Connections to backends: connecting, the idle pools per event loop, and parsing what backends answer. */
package dev.turnout.upstream;
