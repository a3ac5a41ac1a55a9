/** The built-in blue and green backends of {@code turnout demo}. */
package dev.turnout.demo;
