package dev.turnout.proxy;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import dev.turnout.config.ProxyConfig;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Where the access log's lines go, set up in code at start (proxy.yaml says it, not logback.xml):
 * the logger, with additivity off, feeds an {@link AsyncAppender} that never blocks, which writes
 * to stdout or to a file rolled daily and at {@code maxFileSize}. Event loops only enqueue; when
 * the queue is full a line is dropped rather than a request held.
 *
 * <p>The appender's thread writes through a buffer ({@link Batches}): one write per batch of lines
 * rather than one per line, and a pause after each batch, so that under load the event loops find it
 * busy or sleeping instead of parked on the queue and do not wake it for every line.
 */
final class AccessLogAppenders {

    /** Lines the queue holds before new ones are dropped: a few seconds of a busy proxy behind a slow disk. */
    static final int QUEUE_SIZE = 8192;
    /** How long the appender's thread pauses after writing out all it had: lines wait at most this long. */
    static final long LINGER_MILLIS = 10;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final String NAME = "turnout-access";

    private final ch.qos.logback.classic.Logger logger;
    private final AsyncAppender async;

    private AccessLogAppenders(ch.qos.logback.classic.Logger logger, AsyncAppender async) {
        this.logger = logger;
        this.async = async;
    }

    /** Where the lines go: where the config says, or nowhere (the warm-up's). */
    enum Output { CONFIGURED, DISCARD }

    static AccessLogAppenders install(String loggerName, ProxyConfig.AccessLog config, Output output) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger logger = context.getLogger(loggerName);
        // A Turnout started before this one in the same JVM (tests) leaves its appenders: they go.
        logger.detachAndStopAllAppenders();
        logger.setAdditive(false);
        if (!config.enabled()) {
            logger.setLevel(Level.OFF);
            return new AccessLogAppenders(logger, null);
        }
        logger.setLevel(Level.INFO);
        OutputStreamAppender<ILoggingEvent> out = output == Output.DISCARD ? discard()
                : config.path().isPresent() ? file(context, config, config.path().get()) : stdout();
        out.setContext(context);
        out.setName(NAME + "-out");
        out.setEncoder(lineEncoder(context));
        // Batches flushes it: when the queue is empty.
        out.setImmediateFlush(false);
        out.start();

        AsyncAppender async = new AsyncAppender();
        Batches batches = new Batches(out, async);
        batches.setContext(context);
        batches.setName(NAME + "-batches");
        batches.start();
        async.setContext(context);
        async.setName(NAME);
        async.setQueueSize(QUEUE_SIZE);
        // Drop only when full (the default drops INFO events from 80 % on), and never make a caller wait.
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.setMaxFlushTime(2000);
        async.addAppender(batches);
        async.start();
        logger.addAppender(async);
        return new AccessLogAppenders(logger, async);
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

    private static PatternLayoutEncoder lineEncoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        return encoder;
    }

    /**
     * The one appender of the async appender, on its thread: writes each line into {@code out}'s buffer and,
     * when that line left the queue empty, flushes the buffer and pauses {@link #LINGER_MILLIS} before the
     * worker takes the next lines. Every line is flushed before the worker waits on an empty queue (the last
     * line before that wait saw it empty), so a lone line goes out at once and none is left in the buffer.
     */
    private static final class Batches extends UnsynchronizedAppenderBase<ILoggingEvent> {
        private final OutputStreamAppender<ILoggingEvent> out;
        private final AsyncAppender queue;

        Batches(OutputStreamAppender<ILoggingEvent> out, AsyncAppender queue) {
            this.out = out;
            this.queue = queue;
        }

        @Override
        protected void append(ILoggingEvent event) {
            out.doAppend(event);
            if (queue.getNumberOfElementsInQueue() > 0) {
                return;
            }
            try {
                OutputStream stream = out.getOutputStream();
                if (stream != null) {
                    stream.flush();
                }
            } catch (IOException e) {
                addError("could not flush the access log", e);
            }
            try {
                Thread.sleep(LINGER_MILLIS);
            } catch (InterruptedException e) {
                // Stopping: the async appender writes what is left and then stops this.
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void stop() {
            super.stop();
            out.stop();
        }
    }

    /** Writes what is queued (up to the flush time) and closes the output. */
    void stop() {
        if (async != null) {
            logger.detachAppender(async);
            async.stop();
        }
    }
}
