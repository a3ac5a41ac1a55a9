package dev.turnout.admin;

import dev.turnout.config.ConfigException;
import dev.turnout.config.ProxyConfig;
import dev.turnout.proxy.ServerTls;
import dev.turnout.routing.TrafficSwitch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the HTTPS certificates when their files change on disk, as certbot and cert-manager
 * rewrite them without telling anyone. A look at the files' attributes every few seconds on the
 * admin executor: cheap, works on every file system (inotify misses a Kubernetes secret's symlink
 * swap), and runs one at a time with the reloads, which use the same executor.
 */
public final class CertificateWatch implements Runnable {

    /** Only tests set it, so as not to wait seconds for a change to be seen. */
    static final String POLL_PROPERTY = "turnout.tls.pollMillis";
    private static final long POLL_MILLIS = 5_000;

    private static final Logger log = LoggerFactory.getLogger(CertificateWatch.class);

    /**
     * What a file looked like: its path with symlinks resolved (a swapped link points elsewhere
     * even when the new file has the old one's time and size), its time and its size; {@code
     * modified} -1 when it could not be looked at, which a reading then reports.
     */
    private record Stamp(Path real, long modified, long size) {}

    private final TrafficSwitch traffic;
    /** Set by {@link #start}, before the first look. */
    private ServerTls tls;
    /** Touched on the admin executor only, after the constructor. */
    private List<Stamp> seen;
    /** What the last look failed with unexpectedly, null after one that did not: logged once, not every few seconds. */
    private String failure;

    /**
     * Looks at the files of the running config's {@code tls.certificates} now: made before the
     * certificates are first read, so that a change while they are read is seen on the first look.
     */
    public CertificateWatch(TrafficSwitch traffic) {
        this.traffic = traffic;
        this.seen = stamps();
    }

    /** Looks again every few seconds on {@code executor}, which runs the reloads too, until it shuts down. */
    public void start(ScheduledExecutorService executor, ServerTls served) {
        this.tls = served;
        long every = Long.getLong(POLL_PROPERTY, POLL_MILLIS);
        executor.scheduleWithFixedDelay(this, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * One look. Whatever it throws is caught: a scheduled task that throws is never run again, and
     * the certificates would silently stop following their files.
     */
    @Override
    public void run() {
        try {
            look();
            failure = null;
        } catch (Throwable t) {
            String problem = "tls.certificates: looking at the files failed: " + t;
            if (!problem.equals(failure)) {
                // WARN as for a file that does not load: the running certificates serve on, and the next look comes as usual.
                log.warn("looking at the certificate files failed, the running certificates stay and the watch goes on", t);
                failure = problem;
            }
            tls.showProblems(List.of(problem));
        }
    }

    private void look() {
        List<Stamp> now = stamps();
        if (now.equals(seen)) {
            return;
        }
        // Each change is read once: a bad file is reported once, not every few seconds until it is fixed.
        seen = now;
        ProxyConfig.Tls running = traffic.current().config().tls().orElseThrow();
        try {
            List<String> changes = tls.publish(tls.reread(running));
            log.info("certificate files changed: {}", changes.isEmpty() ? "the certificates served are the same" : String.join("; ", changes));
        } catch (ConfigException e) {
            // WARN, not ERROR: the old certificates keep serving, so nothing has failed yet; status shows it too.
            log.warn("certificate files changed but do not load, the running certificates stay: {}", String.join("; ", e.problems()));
        }
    }

    private List<Stamp> stamps() {
        List<Stamp> stamps = new ArrayList<>();
        for (ProxyConfig.Certificate c : traffic.current().config().tls().orElseThrow().certificates()) {
            stamps.add(stamp(c.cert()));
            stamps.add(stamp(c.key()));
        }
        return stamps;
    }

    private static Stamp stamp(Path file) {
        try {
            // Resolved on each look, so a symlink pointed at a new file is a change.
            Path real = file.toRealPath();
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            return new Stamp(real, attributes.lastModifiedTime().toMillis(), attributes.size());
        } catch (IOException e) {
            return new Stamp(file, -1, -1);
        }
    }
}
