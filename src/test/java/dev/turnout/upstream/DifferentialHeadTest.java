package dev.turnout.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.base.HopByHop;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Generated response heads, valid and invalid, read by Turnout's {@link HeadParser} and by Netty's
 * {@link HttpResponseDecoder}: status, framing and the header lines that cross the proxy must agree,
 * unless Turnout refuses what Netty accepts (Turnout may be stricter) or the difference is one of
 * {@link #DELIBERATE}. Any other disagreement fails with its seed, case and bytes, which replay it.
 */
class DifferentialHeadTest {

    private static final long SEED = 0x7e57_10L;
    private static final int CASES = 6000;

    /** A case and what each parser made of it: a verdict, or null where it refused. */
    record Outcome(int index, String head, Verdict turnout, String turnoutRefusal, Verdict netty, String nettyRefusal) {}

    /** What both parsers are compared on. Framing is NONE, CHUNKED, UNTIL_CLOSE, or LENGTH with its value. */
    record Verdict(int status, String reason, String framing, Map<String, List<String>> headers) {}

    private record Deliberate(String name, Predicate<Outcome> applies) {}

    /** Where Turnout answers otherwise than Netty on purpose; each says why. */
    private static final List<Deliberate> DELIBERATE = List.of(
            // Netty refuses several Content-Length lines unless told otherwise; Turnout, like nginx, sends
            // equal ones on once, and never pools the connection after them (FieldLines.ambiguous).
            new Deliberate("equal duplicate Content-Length accepted", o -> o.netty == null && o.turnout != null
                    && count(o.head, "content-length:") > 1),
            // Netty answers a Transfer-Encoding beside a Content-Length by refusing (HTTP/1.1); Turnout
            // follows RFC 9112 6.3: chunked wins, the length is dropped, and the connection is not pooled.
            new Deliberate("Content-Length beside chunked accepted", o -> o.netty == null && o.turnout != null
                    && count(o.head, "transfer-encoding:") > 0 && count(o.head, "content-length:") > 0),
            // Netty refuses a control character other than HTAB in a field value; Turnout relays it, as
            // nginx does and RFC 9110 5.5 allows: no client splits a line there. NUL, CR and LF it refuses.
            new Deliberate("control character in a field value relayed", o -> o.netty == null && o.turnout != null
                    && o.nettyRefusal.contains("Validation failed for header") && hasControlInValue(o.head)),
            // With a Transfer-Encoding Turnout drops every Content-Length whatever the status; Netty applies
            // that rule only to messages with a body, so a 1xx, 204 or 304 keeps its length there.
            new Deliberate("Content-Length beside Transfer-Encoding dropped from a bodyless answer", o -> o.turnout != null
                    && o.netty != null && o.turnout.framing.equals("NONE") && count(o.head, "transfer-encoding:") > 0
                    && withoutContentLength(o.netty).equals(o.turnout)),
            // A 101 with Upgrade: websocket and no Sec-WebSocket-Accept is Netty's hook for the old Hixie-76
            // handshake, whose body follows; for Turnout a 1xx has no body, and the exchange refuses a 101.
            new Deliberate("Hixie-76 101 has no body", o -> o.turnout != null && o.netty != null && o.turnout.status == 101
                    && !o.netty.framing.equals("NONE") && o.turnout.framing.equals("NONE")
                    && withFraming(o.netty, "NONE").equals(o.turnout)));

    @Test
    void turnoutAgreesWithNettyOrIsStricter() {
        Random random = new Random(SEED);
        HeadParser parser = new HeadParser(new FieldLines(HopByHop.standard()));
        List<String> failures = new ArrayList<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < CASES; i++) {
            String head = generate(random);
            Outcome o = compare(i, head, parser);
            String kind = classify(o);
            counts.merge(kind, 1, Integer::sum);
            if (kind.startsWith("DISAGREE")) {
                failures.add(kind + " seed=" + SEED + " case=" + i + "\n  head: " + escape(head)
                        + "\n  turnout: " + escape(o.turnout != null ? o.turnout.toString() : "refused: " + o.turnoutRefusal)
                        + "\n  netty:   " + escape(o.netty != null ? o.netty.toString() : "refused: " + o.nettyRefusal));
            }
        }
        System.out.println("differential heads, seed " + SEED + ": " + counts);
        assertThat(failures).as("%d of %d cases disagree:\n%s", failures.size(), CASES,
                String.join("\n", failures.subList(0, Math.min(20, failures.size())))).isEmpty();
        assertThat(counts.getOrDefault("both accept, agree", 0)).as("enough valid heads").isGreaterThan(CASES / 4);
        assertThat(counts.getOrDefault("both refuse", 0) + counts.getOrDefault("turnout stricter", 0)).as("enough invalid heads").isGreaterThan(CASES / 4);
    }

    private static String classify(Outcome o) {
        if (o.turnout == null && o.netty == null) {
            return "both refuse";
        }
        if (o.turnout == null) {
            return "turnout stricter";
        }
        if (o.netty != null && o.turnout.equals(o.netty)) {
            return "both accept, agree";
        }
        for (Deliberate d : DELIBERATE) {
            if (d.applies.test(o)) {
                return "deliberate: " + d.name;
            }
        }
        return o.netty == null ? "DISAGREE: only Netty refuses" : "DISAGREE: both accept, differ";
    }

    private static Outcome compare(int index, String head, HeadParser parser) {
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        Verdict turnout = null;
        String turnoutRefusal = null;
        try {
            turnout = turnout(parser.parse(bytes, bytes.length, false));
        } catch (MalformedResponse e) {
            turnoutRefusal = e.getMessage();
        }
        EmbeddedChannel channel = new EmbeddedChannel(new HttpResponseDecoder(
                new HttpDecoderConfig().setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(64 * 1024)));
        Verdict netty = null;
        String nettyRefusal = "no response decoded";
        try {
            channel.writeInbound(Unpooled.copiedBuffer(bytes));
            HttpObject first = channel.readInbound();
            if (first instanceof HttpResponse response) {
                if (response.decoderResult().isFailure()) {
                    nettyRefusal = String.valueOf(response.decoderResult().cause());
                } else {
                    Object next = channel.readInbound();
                    netty = netty(response, response instanceof LastHttpContent || next instanceof LastHttpContent);
                    ReferenceCountUtil.release(next);
                    nettyRefusal = null;
                }
            }
            ReferenceCountUtil.release(first);
        } finally {
            channel.finishAndReleaseAll();
        }
        return new Outcome(index, head, turnout, turnoutRefusal, netty, nettyRefusal);
    }

    private static Verdict turnout(ResponseHead head) {
        List<String> lines = HeadParserTest.linesOut(head);
        String statusLine = lines.get(0);
        Map<String, List<String>> headers = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            int colon = line.indexOf(':');
            add(headers, line.substring(0, colon), line.substring(colon + 1));
        }
        String framing = head.framing() == BodyFraming.LENGTH ? "LENGTH " + head.contentLength() : head.framing().name();
        return new Verdict(head.status(), statusLine.length() > 12 ? statusLine.substring(13).strip() : "", framing, headers);
    }

    /** Netty's reading, with Turnout's policy applied to its headers: what would cross the proxy had Netty parsed them. */
    private static Verdict netty(HttpResponse response, boolean endedAtHead) {
        List<String> named = new ArrayList<>();
        for (String value : response.headers().getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                named.add(token.strip().toLowerCase(Locale.ROOT));
            }
        }
        // Turnout's policy: Connection cannot name the length away (FieldLines.readConnection).
        named.removeIf("content-length"::equals);
        Map<String, List<String>> headers = new TreeMap<>();
        for (Map.Entry<String, String> e : response.headers()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!HopByHop.standard().names().contains(name) && !named.contains(name)) {
                add(headers, e.getKey(), e.getValue());
            }
        }
        int code = response.status().code();
        String framing;
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL && !(code == 101 && !response.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT)
                && response.headers().contains(HttpHeaderNames.UPGRADE, "websocket", true)) || code == 204 || code == 304) {
            // Netty's HttpObjectDecoder.isContentAlwaysEmpty; it ends such a message at its head.
            assertThat(endedAtHead).as("Netty ends a bodyless answer at its head: %s", response).isTrue();
            framing = "NONE";
        } else if (HttpUtil.isTransferEncodingChunked(response)) {
            framing = "CHUNKED";
        } else if (response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            framing = "LENGTH " + HttpUtil.getContentLength(response);
        } else {
            framing = "UNTIL_CLOSE";
        }
        return new Verdict(code, response.status().reasonPhrase().strip(), framing, headers);
    }

    private static void add(Map<String, List<String>> headers, String name, String value) {
        headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(value.strip());
    }

    // ---- generation -------------------------------------------------------------------------

    // Each list starts with what is valid; a tame case picks only from those first entries.
    private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "http/1.1", "HTTP/1.1 "};
    private static final int VALID_VERSIONS = 3;
    private static final String[] CODES = {"200", "200", "204", "304", "404", "500", "100", "103", "101", "599", "999", "20", "2000", "099", "2x0"};
    private static final int VALID_CODES = 11;
    private static final String[] REASONS = {" OK", " Not Found", "", " ", " O\tK", " Caf\u00e9", " OK ", " A\u0001B", " A\u007fB", " A\rB", " A\nB", " A\0B"};
    private static final int VALID_REASONS = 7;
    private static final String[] FIELDS = {
        "X-A: a", "X-B: b", "x-a: second", "Set-Cookie: s=1", "Content-Type: text/plain", "X-Empty:", "X-Spaces:   v  ",
        "Content-Length: 0", "Content-Length: 2", "Content-Length:  2 ", "content-length: 2",
        "Transfer-Encoding: chunked", "Transfer-Encoding: Chunked", "Transfer-Encoding: gzip, chunked",
        "Connection: close", "Connection: keep-alive", "Connection: X-A", "Connection: Content-Length", "Connection: close, X-B",
        "Connection: Transfer-Encoding", "Keep-Alive: timeout=5", "Upgrade: websocket", "Trailer: X-T", "TE: trailers",
        "Proxy-Authenticate: Basic", "Sec-WebSocket-Accept: x", "X-A: caf\u00e9",
        "Content-Length: 5", "Content-Length: 2, 2", "Content-Length: +2", "Content-Length: -1", "Content-Length: x", "Content-Length:",
        "Content-Length: 99999999999999999999", "Transfer-Encoding: chunked, gzip", "Transfer-Encoding: gzip",
        "Transfer-Encoding: chunked ", "Transfer-Encoding:",
        " folded", "\tfolded", "X-A : a", "X-A\t: a", ": a", "X-A a", "X(A): a", "X-\u00e9: a",
        "X-A: a\rX-Injected: i", "X-A: a\nX-Injected: i", "X-A: a\0b", "X-A: a\u0001b",
    };
    /** Valid one by one; together they may still conflict (two lengths, a length beside chunked, chunked twice). */
    private static final int VALID_FIELDS = 27;

    private static String generate(Random random) {
        boolean tame = random.nextBoolean();
        StringBuilder head = new StringBuilder();
        head.append(pick(random, VERSIONS, tame ? VALID_VERSIONS : VERSIONS.length)).append(' ')
                .append(pick(random, CODES, tame ? VALID_CODES : CODES.length));
        if (random.nextInt(8) > 0) {
            head.append(pick(random, REASONS, tame ? VALID_REASONS : REASONS.length));
        }
        head.append("\r\n");
        int fields = random.nextInt(7);
        for (int f = 0; f < fields; f++) {
            if (random.nextInt(40) == 0) {
                head.append("X-Huge: ").append("v".repeat(8_000 + random.nextInt(16_000)));
            } else {
                head.append(pick(random, FIELDS, tame ? VALID_FIELDS : FIELDS.length));
            }
            head.append("\r\n");
        }
        return head.append("\r\n").toString();
    }

    private static String pick(Random random, String[] options, int bound) {
        return options[random.nextInt(bound)];
    }

    private static boolean hasControlInValue(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(colon).chars().anyMatch(c -> (c < ' ' && c != '\t') || c == 0x7f)) {
                return true;
            }
        }
        return false;
    }

    private static Verdict withFraming(Verdict v, String framing) {
        return new Verdict(v.status, v.reason, framing, v.headers);
    }

    private static Verdict withoutContentLength(Verdict v) {
        Map<String, List<String>> headers = new TreeMap<>(v.headers);
        headers.remove("content-length");
        return new Verdict(v.status, v.reason, v.framing, headers);
    }

    private static int count(String head, String lowerName) {
        int n = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith(lowerName)) {
                n++;
            }
        }
        return n;
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            out.append(c == '\r' ? "\\r" : c == '\n' ? "\\n" : c < ' ' || c > '~' ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.length() > 400 ? out.substring(0, 400) + "...(" + s.length() + " chars)" : out.toString();
    }
}
