package dev.turnout.config;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A listen or backend address as written in proxy.yaml: {@code host:port} or {@code [v6]:port}. */
public record HostPort(String host, int port) {

    private static final Pattern FORM = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+):(\\d{1,5})");

    public static Optional<HostPort> parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        int port = Integer.parseInt(m.group(2));
        if (port > 65535) {
            return Optional.empty();
        }
        String host = m.group(1);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return Optional.of(new HostPort(host, port));
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
