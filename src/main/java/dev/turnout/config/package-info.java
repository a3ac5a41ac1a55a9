/** proxy.yaml: loading, validation with key paths, and the immutable records a snapshot carries. */
package dev.turnout.config;
