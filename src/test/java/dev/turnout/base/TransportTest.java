package dev.turnout.base;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class TransportTest {

    @Test
    void ioUringComesFirstThePropertyOverridesAndAnUnavailableChoiceIsAWarning() {
        String before = System.getProperty("turnout.transport");
        Logger logger = (Logger) LoggerFactory.getLogger(Transport.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        logger.addAppender(warnings);
        try {
            System.clearProperty("turnout.transport");
            try (Transport auto = Transport.best()) {
                assertThat(auto.name()).isEqualTo(IoUring.isAvailable() ? "io_uring" : Epoll.isAvailable() ? "epoll" : "nio");
            }
            System.setProperty("turnout.transport", "nio");
            try (Transport nio = Transport.best()) {
                assertThat(nio.name()).isEqualTo("nio");
                io.netty.channel.socket.SocketChannel client = nio.clientChannelFactory().newChannel();
                try {
                    assertThat(client).isExactlyInstanceOf(NioSocketChannel.class);
                } finally {
                    client.unsafe().closeForcibly();
                }
            }
            assertThat(warnings.list).isEmpty();
            System.setProperty("turnout.transport", "carrier-pigeon");
            try (Transport fallback = Transport.best()) {
                assertThat(fallback.name()).isIn("io_uring", "epoll", "nio");
            }
            assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "turnout.transport=carrier-pigeon is not available here (expected: io_uring, epoll or nio); choosing automatically");
        } finally {
            if (before == null) {
                System.clearProperty("turnout.transport");
            } else {
                System.setProperty("turnout.transport", before);
            }
            logger.detachAppender(warnings);
        }
    }
}
