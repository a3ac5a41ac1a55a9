/** The client side: the listener and pipeline, request checks, and the exchange that carries one request to a backend and back. */
package dev.turnout.proxy;
