package dev.turnout.proxy;

import dev.turnout.upstream.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * The client side of one exchange: where its answer goes, and how it asks for more of the request
 * body. An HTTP/1.1 connection is one implementation ({@link Http1ClientStream}); an HTTP/2 stream
 * and a WebSocket tunnel are others. The exchange knows no client framing: heads, body parts and
 * ends go through here, and the implementation frames them for its protocol.
 *
 * <p>Every call comes on {@link #eventLoop()}, which is also the exchange's upstream connection's.
 * After {@link #end}, {@link #answer} or {@link #abort} the exchange makes no further call.
 */
interface ClientStream {

    EventLoop eventLoop();

    /**
     * Whether a chunked response body may pass in the backend's own chunk framing, as read; when
     * false the parser hands over the data alone and the stream frames it as its protocol needs.
     */
    boolean takesChunkedBytes();

    /** An interim (1xx) head, to pass on as it is; a final head follows. */
    void interim(ResponseHead head);

    /**
     * The final head of the answer.
     *
     * @param requestBodyPending the request body is not all in, so nothing may follow this answer on the client's connection
     */
    void head(ResponseHead head, boolean requestBodyPending);

    /** A part of the response body, which is handed over: chunked bytes when {@link #takesChunkedBytes} and the head said chunked, else data. */
    void body(ByteBuf part);

    /**
     * The answer is complete.
     *
     * @param trailers the backend's trailer fields when the body came as data alone (see {@link #takesChunkedBytes}); else empty
     */
    void end(HttpHeaders trailers);

    /** Turnout's own answer, in place of the backend's: only before any byte of a response went to the client. */
    void answer(Refusal refusal, boolean requestBodyPending);

    /** The answer broke after it began: the client must see it cut off. */
    void abort();

    /** The client takes nothing more: what is still unwritten to it is dropped with it. */
    void drop();

    void flush();

    /** Whether the client takes output now; when it does not, the exchange stops reading from the backend. */
    boolean writable();

    /** Asks for the next part of the request body; once the body is all in, watches for the client hanging up. */
    void readRequest();

    /** The exchange's next deadline is within {@code nanos}: its timeouts must be checked by then. */
    void checkWithin(long nanos);

    /**
     * Whether this stream can become a byte tunnel after a 101, as an HTTP/1.1 connection can. An
     * HTTP/2 stream cannot: Turnout does not offer RFC 8441's extended CONNECT, so clients open
     * WebSockets over HTTP/1.1.
     */
    boolean canTunnel();

    /**
     * The backend switched to WebSocket (101): the head goes to the client, and from now on bytes
     * pass both ways unframed, the client's to {@link ProxyExchange#onClientBytes}, its FIN to
     * {@link ProxyExchange#onClientInputShutdown}. Only on a stream that {@link #canTunnel}.
     */
    void tunnel(ResponseHead head);

    /**
     * The backend of a tunnel sent its FIN: the client gets one once the bytes before it are out.
     * Returns false when the connection cannot half-close (TLS); the caller then ends the tunnel.
     */
    boolean shutdownOutput();
}
