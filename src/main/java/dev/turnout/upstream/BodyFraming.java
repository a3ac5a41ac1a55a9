package dev.turnout.upstream;

/** How the body after a response head ends (RFC 9112, 6.3). */
public enum BodyFraming {
    /** There is none: an interim answer, a 204 or 304, or the answer to HEAD, whatever the head says. */
    NONE,
    /** After Content-Length bytes. */
    LENGTH,
    /** At the last chunk and its trailer section. */
    CHUNKED,
    /** When the backend closes the connection. */
    UNTIL_CLOSE
}
