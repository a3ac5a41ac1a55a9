package dev.turnout.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import dev.turnout.config.ProxyConfig;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * Where the access log's lines go, and the one thread that writes them. Event loops only add a line
 * to a lock-free queue (or drop it when {@link #QUEUE_SIZE} lines wait); every {@link #LINGER_MILLIS}
 * the writer takes all that is queued and writes it as one block through a logback appender: stdout,
 * or a file rolled daily and at {@code maxFileSize} (proxy.yaml says which, not logback.xml).
 *
 * <p>Not logback's logger and asynchronous appender: those cost an event object, a lock and a
 * layout per line, about as much as the rest of the proxy's work on a small request. Here a line
 * costs a queue node on the event loop, and the writer's cost is per block; nothing wakes the writer,
 * it polls, so a busy event loop never pays for a wake-up.
 */
final class AccessLogWriter {

    /** Lines that may wait before new ones are dropped: a few seconds of a busy proxy behind a slow disk. */
    static final int QUEUE_SIZE = 8192;
    /** How long the writer sleeps when it finds nothing queued: lines wait at most about this long. */
    static final long LINGER_MILLIS = 10;
    /** How long a stop may take to write out what is queued. */
    private static final long STOP_MILLIS = 2000;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final String NAME = "turnout-access";

    /** Where the lines go: where the config says, or nowhere (the warm-up's, formatted and dropped). */
    enum Output { CONFIGURED, DISCARD }

    private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final OutputStreamAppender<ILoggingEvent> out;
    private final ch.qos.logback.classic.Logger logger;
    private final Thread writer;
    private volatile boolean stopping;

    private AccessLogWriter(OutputStreamAppender<ILoggingEvent> out, ch.qos.logback.classic.Logger logger) {
        this.out = out;
        this.logger = logger;
        this.writer = new Thread(this::writeUntilStopped, NAME);
        writer.setDaemon(true);
    }

    static AccessLogWriter start(ProxyConfig.AccessLog config, Output output) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        OutputStreamAppender<ILoggingEvent> out = output == Output.DISCARD ? discard()
                : config.path().isPresent() ? file(context, config, config.path().get()) : stdout();
        out.setContext(context);
        out.setName(NAME);
        out.setEncoder(blockEncoder(context));
        // The writer flushes once per block.
        out.setImmediateFlush(false);
        out.start();
        AccessLogWriter writer = new AccessLogWriter(out, context.getLogger(AccessLog.LOGGER));
        writer.writer.start();
        return writer;
    }

    /** Queues a line (without its newline); false when the queue was full and the line was dropped. */
    boolean offer(String line) {
        if (queued.incrementAndGet() > QUEUE_SIZE) {
            queued.decrementAndGet();
            return false;
        }
        lines.offer(line);
        return true;
    }

    private void writeUntilStopped() {
        StringBuilder block = new StringBuilder(BUFFER_BYTES);
        while (true) {
            boolean last = stopping;
            int taken = 0;
            for (String line = lines.poll(); line != null; line = lines.poll()) {
                block.append(line).append('\n');
                taken++;
                if (block.length() >= BUFFER_BYTES) {
                    write(block);
                }
            }
            queued.addAndGet(-taken);
            if (block.length() > 0) {
                write(block);
            }
            if (taken > 0) {
                flush();
            }
            if (last) {
                return;
            }
            try {
                Thread.sleep(LINGER_MILLIS);
            } catch (InterruptedException e) {
                // stop() interrupts only to cut the wait short: the loop writes what is left and ends.
            }
        }
    }

    private void write(StringBuilder block) {
        out.doAppend(new LoggingEvent(AccessLogWriter.class.getName(), logger, Level.INFO, block.toString(), null, null));
        block.setLength(0);
    }

    private void flush() {
        try {
            OutputStream stream = out.getOutputStream();
            if (stream != null) {
                stream.flush();
            }
        } catch (IOException e) {
            out.addError("could not flush the access log", e);
        }
    }

    /** Writes what is queued (for up to 2 s) and closes the output. */
    void stop() {
        stopping = true;
        writer.interrupt();
        try {
            writer.join(STOP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.stop();
    }

    private static RollingFileAppender<ILoggingEvent> file(LoggerContext context, ProxyConfig.AccessLog config, Path path) {
        RollingFileAppender<ILoggingEvent> file = new RollingFileAppender<>();
        file.setContext(context);
        file.setFile(path.toString());
        SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(context);
        policy.setParent(file);
        policy.setFileNamePattern(path + ".%d{yyyy-MM-dd}.%i");
        policy.setMaxFileSize(new FileSize(config.maxFileSize()));
        policy.setMaxHistory(config.maxHistory());
        policy.start();
        file.setRollingPolicy(policy);
        file.setBufferSize(new FileSize(BUFFER_BYTES));
        return file;
    }

    /**
     * Standard output through a buffer of its own. It writes to whatever {@code System.out} is when it
     * flushes, as logback's console appender does, and closing it flushes but leaves stdout open.
     */
    private static OutputStreamAppender<ILoggingEvent> stdout() {
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setOutputStream(new BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) {
                System.out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                System.out.write(b, off, len);
            }

            @Override
            public void flush() {
                System.out.flush();
            }

            @Override
            public void close() {
                flush();
            }
        }, BUFFER_BYTES));
        return out;
    }

    private static OutputStreamAppender<ILoggingEvent> discard() {
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setOutputStream(OutputStream.nullOutputStream());
        return out;
    }

    /** A block is lines that end in their newlines already: its bytes as they are, without a layout's copy. */
    private static EncoderBase<ILoggingEvent> blockEncoder(LoggerContext context) {
        EncoderBase<ILoggingEvent> encoder = new EncoderBase<>() {
            @Override
            public byte[] headerBytes() {
                return null;
            }

            @Override
            public byte[] encode(ILoggingEvent block) {
                return block.getMessage().getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public byte[] footerBytes() {
                return null;
            }
        };
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }
}
