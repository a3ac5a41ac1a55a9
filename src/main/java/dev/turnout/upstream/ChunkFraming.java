package dev.turnout.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Arrays;

/**
 * Walks the chunk framing of a body (RFC 9112, 7.1) as its bytes arrive, however they are split,
 * to find where it ends and to refuse a broken one. What it hands on is the body as read, in
 * slices of the buffers given: chunk framing in standard form ({@code HEX CRLF}, data, CRLF) goes
 * on untouched; any other (a bare LF, spaces or extensions after the size, trailer fields) is
 * written again in standard form, extensions dropped and trailer fields filtered like header
 * fields, as nginx re-frames a body. For a client that knows no chunks it hands on the data alone.
 */
final class ChunkFraming {

    /** Where the body goes. */
    interface Sink {
        /** Takes {@code bytes}; false when nobody listens any more and reading is to stop. */
        boolean accept(ByteBuf bytes);
    }

    private enum State {
        SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER, TRAILER_END_LF, DONE
    }

    private final FieldLines trailerFields;
    private final int maxSectionBytes;
    private State state = State.DONE;
    private boolean dechunk;
    private long remaining;
    private int chunkDigits;
    /** Bytes of a chunk extension or of the trailer section read so far. */
    private int sectionBytes;
    /** The chunk-size line being read (with the trailer section, for the last) came in one buffer in standard form, so it can go on in that buffer's slice. */
    private boolean framingAsRead;
    /** The lines of the trailer section kept in {@link #trailerFields}. */
    private int trailerLines;
    /** The trailer section read so far; made the first time a body has one, which few do. */
    private byte[] trailer;

    /**
     * @param trailerFields   reads and filters the trailer section, as it does a head's
     * @param maxSectionBytes the most a chunk extension or a trailer section may take
     */
    ChunkFraming(FieldLines trailerFields, int maxSectionBytes) {
        this.trailerFields = trailerFields;
        this.maxSectionBytes = maxSectionBytes;
    }

    /** @param dechunk hand on only the data of the chunks */
    void begin(boolean dechunk) {
        this.dechunk = dechunk;
        nextChunk();
        framingAsRead = true;
    }

    /**
     * Reads on from {@code in}'s reader index. Returns true when the body ended, with the reader
     * index just past it; false when it needs more bytes, or the sink let go, with all of
     * {@code in} read. {@code in} stays the caller's: what is handed on are retained slices.
     */
    boolean read(ByteBuf in, Sink sink) throws MalformedResponse {
        // [from, i) is what goes on in one slice: data with its CRLF, and size lines in standard form read whole here.
        int from = in.readerIndex();
        int limit = in.writerIndex();
        int i = from;
        // Where the size line being read began in this buffer; one begun in an earlier buffer is no longer as read.
        int framingStart = from;
        while (i < limit && state != State.DONE) {
            if (state == State.DATA) {
                int n = (int) Math.min(remaining, limit - i);
                if (dechunk && !sink.accept(in.retainedSlice(i, n))) {
                    return letGo(in);
                }
                remaining -= n;
                i += n;
                if (remaining == 0) {
                    state = State.DATA_CR;
                }
                continue;
            }
            State before = state;
            step(in.getByte(i));
            i++;
            if (state == State.SIZE && before != State.SIZE) {
                // A chunk's data ended; its CRLF goes on at once, so a client never waits for the next chunk to finish this one.
                if (before == State.DATA_CR && !dechunk
                        && !(handOn(sink, in, from, i - 1) && sink.accept(in.alloc().buffer(2).writeShort(ResponseHead.CRLF)))) {
                    return letGo(in);
                }
                if (before == State.DATA_CR) {
                    // That was a bare LF, handed on as CRLF.
                    from = i;
                }
                framingStart = i;
                framingAsRead = true;
            } else if (!framingAsRead && (state == State.DATA || state == State.DONE)) {
                if (!dechunk && !(handOn(sink, in, from, framingStart) && sink.accept(standardFraming(in.alloc())))) {
                    return letGo(in);
                }
                from = i;
            }
        }
        in.readerIndex(i);
        boolean inSizeLine = state != State.DATA && state != State.DATA_CR && state != State.DATA_LF && state != State.DONE;
        if (inSizeLine && framingStart < i) {
            // Its start stays here, unsent; the line goes on whole, written again, when it ends.
            framingAsRead = false;
        }
        if (!dechunk && !handOn(sink, in, from, inSizeLine ? framingStart : i)) {
            return false;
        }
        return state == State.DONE;
    }

    private static boolean letGo(ByteBuf in) {
        in.readerIndex(in.writerIndex());
        return false;
    }

    /** Hands on {@code in[from, to)}, if anything. */
    private static boolean handOn(Sink sink, ByteBuf in, int from, int to) {
        return to == from || sink.accept(in.retainedSlice(from, to - from));
    }

    /** The size line just read, in standard form; for the last chunk with the trailer fields kept and the final CRLF. */
    private ByteBuf standardFraming(ByteBufAllocator alloc) {
        boolean last = state == State.DONE;
        ByteBuf out = alloc.buffer(18 + (last ? sectionBytes + 2 * trailerLines + 2 : 0));
        ByteBufUtil.writeAscii(out, last ? "0" : Long.toHexString(remaining));
        out.writeShort(ResponseHead.CRLF);
        if (last) {
            int[] lines = trailerFields.lines();
            for (int k = 0; k < trailerLines * 2; k += 2) {
                out.writeBytes(trailer, lines[k], lines[k + 1] - lines[k]).writeShort(ResponseHead.CRLF);
            }
            out.writeShort(ResponseHead.CRLF);
        }
        return out;
    }

    /** One byte of chunk framing. */
    private void step(byte b) throws MalformedResponse {
        switch (state) {
            case SIZE -> {
                int digit = Character.digit(b, 16);
                if (digit >= 0) {
                    if (++chunkDigits > 15) {
                        throw new MalformedResponse("chunk size too large");
                    }
                    remaining = remaining * 16 + digit;
                } else if (chunkDigits == 0) {
                    throw new MalformedResponse("chunk size is not hexadecimal");
                } else if (b == ';' || b == ' ' || b == '\t') {
                    framingAsRead = false;
                    state = State.EXTENSION;
                } else if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (b == '\n') {
                    framingAsRead = false;
                    sizeRead();
                } else {
                    throw new MalformedResponse("chunk size is not hexadecimal");
                }
            }
            case EXTENSION -> {
                if (b == '\n') {
                    sizeRead();
                } else if (++sectionBytes > maxSectionBytes) {
                    throw new MalformedResponse("chunk extension too long");
                }
            }
            case SIZE_LF -> {
                if (b != '\n') {
                    throw new MalformedResponse("chunk size line not ended by CRLF");
                }
                sizeRead();
            }
            case DATA_CR -> {
                if (b == '\r') {
                    state = State.DATA_LF;
                } else if (b == '\n') {
                    nextChunk();
                } else {
                    throw new MalformedResponse("chunk data not followed by CRLF");
                }
            }
            case DATA_LF -> {
                if (b != '\n') {
                    throw new MalformedResponse("chunk data not followed by CRLF");
                }
                nextChunk();
            }
            case TRAILER_START -> {
                if (b == '\r') {
                    state = State.TRAILER_END_LF;
                } else if (b == '\n') {
                    framingAsRead = false;
                    trailersRead();
                } else {
                    framingAsRead = false;
                    state = State.TRAILER;
                    keepTrailerByte(b);
                }
            }
            case TRAILER -> {
                if (b == '\n') {
                    state = State.TRAILER_START;
                }
                keepTrailerByte(b);
            }
            case TRAILER_END_LF -> {
                if (b != '\n') {
                    throw new MalformedResponse("trailer not ended by CRLF");
                }
                trailersRead();
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void sizeRead() {
        if (remaining == 0) {
            sectionBytes = 0;
            trailerLines = 0;
            state = State.TRAILER_START;
        } else {
            state = State.DATA;
        }
    }

    private void nextChunk() {
        state = State.SIZE;
        remaining = 0;
        chunkDigits = 0;
        sectionBytes = 0;
    }

    private void keepTrailerByte(byte b) throws MalformedResponse {
        if (sectionBytes == maxSectionBytes) {
            throw new MalformedResponse("trailer larger than " + maxSectionBytes + " bytes");
        }
        if (trailer == null) {
            trailer = new byte[256];
        } else if (sectionBytes == trailer.length) {
            trailer = Arrays.copyOf(trailer, trailer.length * 2);
        }
        trailer[sectionBytes++] = b;
    }

    /**
     * The trailer fields kept from the body that just ended, for a client that takes the data alone
     * and frames trailers its own way (HTTP/2); empty when it had none.
     */
    HttpHeaders trailers() {
        if (trailerLines == 0) {
            return EmptyHttpHeaders.INSTANCE;
        }
        HttpHeaders fields = new DefaultHttpHeaders();
        FieldLines.forEach(trailer, trailerFields.lines(), trailerLines, fields::add);
        return fields;
    }

    /** The trailer section ended: its fields are checked and filtered like a head's. */
    private void trailersRead() throws MalformedResponse {
        if (sectionBytes > 0) {
            trailerFields.readTrailer(trailer, 0, sectionBytes);
            trailerLines = trailerFields.count();
        }
        state = State.DONE;
    }
}
