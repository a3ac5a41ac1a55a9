package dev.turnout.proxy;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import dev.turnout.config.ProxyConfig;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Where the access log's lines go, set up in code at start (proxy.yaml says it, not logback.xml):
 * the logger, with additivity off, feeds an {@link AsyncAppender} that never blocks, which writes
 * to stdout or to a file rolled daily and at {@code maxFileSize}. Event loops only enqueue; when
 * the queue is full a line is dropped rather than a request held.
 */
final class AccessLogAppenders {

    /** Lines the queue holds before new ones are dropped: a few seconds of a busy proxy behind a slow disk. */
    static final int QUEUE_SIZE = 8192;
    private static final String NAME = "turnout-access";

    private final ch.qos.logback.classic.Logger logger;
    private final AsyncAppender async;

    private AccessLogAppenders(ch.qos.logback.classic.Logger logger, AsyncAppender async) {
        this.logger = logger;
        this.async = async;
    }

    static AccessLogAppenders install(String loggerName, ProxyConfig.AccessLog config) {
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
        OutputStreamAppender<ILoggingEvent> out = config.path().isPresent() ? file(context, config, config.path().get())
                : new ConsoleAppender<>();
        out.setContext(context);
        out.setName(NAME + "-out");
        out.setEncoder(lineEncoder(context));
        out.start();

        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName(NAME);
        async.setQueueSize(QUEUE_SIZE);
        // Drop only when full (the default drops INFO events from 80 % on), and never make a caller wait.
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.setMaxFlushTime(2000);
        async.addAppender(out);
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
        return file;
    }

    private static PatternLayoutEncoder lineEncoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        return encoder;
    }

    /** Writes what is queued (up to the flush time) and closes the output. */
    void stop() {
        if (async != null) {
            logger.detachAppender(async);
            async.stop();
        }
    }
}
