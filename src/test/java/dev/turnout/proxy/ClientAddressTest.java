package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Cidr;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {

    private static final List<Cidr> TRUSTED = List.of(Cidr.parse("127.0.0.1").orElseThrow(), Cidr.parse("10.0.0.0/8").orElseThrow());

    private static String behind(String... forwardedFor) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String value : forwardedFor) {
            headers.add("X-Forwarded-For", value);
        }
        return ClientAddress.behindTrustedPeer(headers, "127.0.0.1", TRUSTED).toString();
    }

    @Test
    void theRightMostEntryThatIsNoTrustedProxyIsTheClient() {
        assertThat(behind("198.51.100.1, 203.0.113.7, 10.1.2.3,127.0.0.1")).isEqualTo("203.0.113.7");
        assertThat(behind("198.51.100.1", "203.0.113.7 , 10.1.2.3")).isEqualTo("203.0.113.7");
    }

    @Test
    void withoutAnUntrustedEntryTheLeftMostOrThePeer() {
        assertThat(behind("10.0.0.5, 10.1.2.3")).isEqualTo("10.0.0.5");
        assertThat(behind()).isEqualTo("127.0.0.1");
        assertThat(behind(",,")).isEqualTo("127.0.0.1");
    }

    @Test
    void oneAddressHasOneSpellingAndWhatIsNoAddressStandsAsWritten() {
        assertThat(behind("2001:DB8::7")).isEqualTo(behind("2001:db8:0:0:0:0:0:7"));
        assertThat(behind("unknown, 10.1.2.3")).isEqualTo("unknown");
    }
}
