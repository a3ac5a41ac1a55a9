package dev.turnout.upstream;

import dev.turnout.base.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.ByteProcessor;

/**
 * Reads a backend's responses off the raw bytes of its connection. Only the head is parsed, once,
 * from a copy in an array, by a {@link HeadParser}; the body goes on as slices of the buffers
 * read, chunk framing included (walked by a {@link ChunkFraming}), so nothing is decoded and
 * encoded again on its way to the client.
 *
 * <p>A backend is trusted more than a client but not blindly: a head must be well formed and at
 * most {@link #MAX_HEAD_BYTES}, leading empty lines included, so that endless empty lines cannot
 * hold a request. The rules for the head itself are {@link HeadParser}'s and {@link FieldLines}'.
 */
public final class ResponseParser {

    /** What a parser hands on. Every buffer given is the listener's to release; a head is only valid during its call. */
    public interface Listener {
        void onResponseHead(ResponseHead head);

        void onResponseBody(ByteBuf bytes);

        /**
         * The response ended.
         *
         * @param trailers the trailer fields of a chunked body, when the parser hands on its data alone; else empty
         */
        void onResponseEnd(HttpHeaders trailers);

        void onResponseInvalid(String reason);
    }

    /** Larger heads are refused, as nginx refuses one larger than its proxy buffer. */
    static final int MAX_HEAD_BYTES = 32 * 1024;

    private enum State {
        IDLE, HEAD, LENGTH, UNTIL_CLOSE, CHUNKED, DONE,
        /** After a 101: the bytes are another protocol's, handed on as they come until the connection ends. */
        SWITCHED
    }

    private final HeadParser heads;
    private final ChunkFraming chunks;
    private final ChunkFraming.Sink sink = this::handOn;
    private Listener listener;
    private State state = State.IDLE;
    private boolean headRequest;
    private boolean dechunk;
    private boolean excess;
    /** A head of this response (an interim one too) framed its body ambiguously: see {@link ResponseHead#ambiguous}. */
    private boolean ambiguous;
    /** A head that did not arrive in one read. */
    private ByteBuf partial;
    private long remaining;
    /** Each head is copied here and parsed as an array: cheaper than reading a buffer a byte at a time. */
    private byte[] scratch = new byte[2048];
    private boolean afterLineFeed;
    /** Stops at the line feed of the empty line that ends a head. */
    private final ByteProcessor headEndFinder = b -> {
        if (b == '\n') {
            if (afterLineFeed) {
                return false;
            }
            afterLineFeed = true;
        } else if (b != '\r') {
            afterLineFeed = false;
        }
        return true;
    };

    public ResponseParser(HopByHop hopByHop) {
        FieldLines fields = new FieldLines(hopByHop);
        this.heads = new HeadParser(fields);
        this.chunks = new ChunkFraming(fields, MAX_HEAD_BYTES);
    }

    /**
     * Expects the response to a new request.
     *
     * @param headRequest the request was HEAD: the response has no body whatever its head says
     * @param dechunk     hand on only the data of a chunked body, for a client that knows no chunks
     */
    public void begin(Listener listener, boolean headRequest, boolean dechunk) {
        this.listener = listener;
        this.headRequest = headRequest;
        this.dechunk = dechunk;
        this.state = State.HEAD;
        this.excess = false;
        this.ambiguous = false;
    }

    /** Stops handing anything on; what is left of a response is dropped with the connection. */
    public void stop() {
        listener = null;
        state = State.IDLE;
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    /**
     * Whether the last response ended exactly where its bytes did, and none of its heads left doubt
     * about where that was, so the connection is in step for another request.
     */
    boolean clean() {
        return state == State.DONE && !excess && !ambiguous;
    }

    /**
     * The connection closed: for a body framed by the end of the connection that is its end, which
     * this reports to the listener. Returns false when the close cut a response short.
     */
    public boolean closed() {
        if (state != State.UNTIL_CLOSE) {
            return false;
        }
        end(false);
        return true;
    }

    /** Takes {@code in}, and releases it. */
    public void feed(ByteBuf in) {
        if (partial != null) {
            ByteBuf joined = partial.writeBytes(in);
            in.release();
            partial = null;
            in = joined;
        }
        try {
            while (listener != null && in.isReadable()) {
                switch (state) {
                    case HEAD -> readHead(in);
                    case LENGTH -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        remaining -= n;
                        listener.onResponseBody(in.readRetainedSlice(n));
                        if (remaining == 0) {
                            end(in.isReadable());
                        }
                    }
                    case UNTIL_CLOSE, SWITCHED -> listener.onResponseBody(in.readRetainedSlice(in.readableBytes()));
                    case CHUNKED -> {
                        if (chunks.read(in, sink)) {
                            end(in.isReadable());
                        }
                    }
                    case DONE -> {
                        // Read on after the response ended: more than it framed, so the connection is out of step.
                        excess = true;
                        in.skipBytes(in.readableBytes());
                    }
                    default -> throw new IllegalStateException(state.name());
                }
            }
        } catch (MalformedResponse e) {
            invalid(e.getMessage());
        } finally {
            in.release();
        }
    }

    /** @param bytesLeft bytes follow the response in what was read: the backend sent more than it framed */
    private void end(boolean bytesLeft) {
        Listener l = listener;
        if (l != null) {
            HttpHeaders trailers = dechunk && state == State.CHUNKED ? chunks.trailers() : EmptyHttpHeaders.INSTANCE;
            state = State.DONE;
            excess = bytesLeft;
            l.onResponseEnd(trailers);
        }
    }

    private void invalid(String reason) {
        Listener l = listener;
        stop();
        if (l != null) {
            l.onResponseInvalid("invalid response: " + reason);
        }
    }

    /** Hands {@code bytes} on; false when the listener let go meanwhile (its client went away). */
    private boolean handOn(ByteBuf bytes) {
        listener.onResponseBody(bytes);
        return listener != null;
    }

    private void readHead(ByteBuf in) throws MalformedResponse {
        int first = in.readerIndex();
        int limit = in.writerIndex();
        int start = first;
        // Empty lines before a status line are skipped, as RFC 9112 (2.2) allows, but they count
        // against the limit: kept in a partial head, so that endless empty lines cannot hold a request.
        while (start < limit && (in.getByte(start) == '\r' || in.getByte(start) == '\n')) {
            start++;
        }
        int end = headEnd(in, start, limit);
        if ((end < 0 ? limit : end) - first > MAX_HEAD_BYTES) {
            throw new MalformedResponse("head larger than " + MAX_HEAD_BYTES + " bytes");
        }
        if (end < 0) {
            partial = in.alloc().buffer(Math.max(1024, 2 * (limit - first))).writeBytes(in, first, limit - first);
            in.readerIndex(limit);
            return;
        }
        in.readerIndex(end);
        int length = end - start;
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        in.getBytes(start, scratch, 0, length);
        ResponseHead head = heads.parse(scratch, length, headRequest);
        ambiguous |= head.ambiguous();
        Listener l = listener;
        switch (head.framing()) {
            case NONE -> {
                if (head.status() == 101) {
                    // Set first: what follows the head in this read is the new protocol's, whatever the listener makes of it.
                    state = State.SWITCHED;
                }
                l.onResponseHead(head);
                if (head.status() >= 200) {
                    end(in.isReadable());
                }
            }
            case CHUNKED -> {
                chunks.begin(dechunk);
                state = State.CHUNKED;
                l.onResponseHead(head);
            }
            case LENGTH -> {
                remaining = head.contentLength();
                state = remaining == 0 ? State.DONE : State.LENGTH;
                l.onResponseHead(head);
                if (remaining == 0) {
                    end(in.isReadable());
                }
            }
            case UNTIL_CLOSE -> {
                state = State.UNTIL_CLOSE;
                l.onResponseHead(head);
            }
        }
    }

    /** The index just past the empty line that ends a head starting at {@code from}, or -1. */
    private int headEnd(ByteBuf in, int from, int limit) {
        afterLineFeed = false;
        int lastLineFeed = in.forEachByte(from, limit - from, headEndFinder);
        return lastLineFeed < 0 ? -1 : lastLineFeed + 1;
    }
}
